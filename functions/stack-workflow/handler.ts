import { stackWorkflowFromEnv } from '../../src/stacks/workflow/stack-workflow-from-env';

/** Invoked by the provision-stack and delete-stack state machines, one action per Task. */
export const handler = stackWorkflowFromEnv();
