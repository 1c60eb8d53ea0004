import { stackExecutionEndedFromEnv } from '../../src/stacks/stack-reconciler-context';

/** EventBridge: a provision or delete execution ended FAILED, TIMED_OUT or ABORTED. */
export const handler = stackExecutionEndedFromEnv();
