import { executionEndedHandler } from '../../src/stacks/execution-ended-handler';
import { stackReconcilerFromEnv } from '../../src/stacks/stack-reconciler-from-env';

/** EventBridge: a provision or delete execution ended FAILED, TIMED_OUT or ABORTED. */
const { reconciler, logger } = stackReconcilerFromEnv();
export const handler = executionEndedHandler(reconciler, logger);
