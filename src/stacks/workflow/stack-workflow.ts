import * as z from 'zod/mini';
import type { AccountStore } from '../../accounts/account-store';
import type { CustomerCloudFormation } from '../../aws/customer-clients';
import type { Logger } from '../../log/logger';
import { COMPONENTS } from '../../model/components';
import type { StackRecorder } from '../stack-recorder';
import { CustomerStacks } from './customer-stacks';
import { checkCreation, deployComponent, finishCreation, recordStepFailure } from './provision-steps';
import { abandonDeletion, checkDeletion, deleteComponent, finishTeardown, startRollback } from './teardown-steps';
import type { StepContext, StepResult } from './workflow-step';

/**
 * The steps the state machines run (statemachines/*.asl.json), one Lambda dispatching on
 * `action`: the provisioning steps (provision-steps.ts) and the teardown steps (teardown-steps.ts),
 * which reach the customer's CloudFormation only through customer-stacks.ts.
 *
 * zod/mini, not the classic `zod` API: it tree-shakes, and the classic `z` export alone adds
 * ~400 KB to this function's bundle (the packaging test holds each under 500 KB).
 */
const componentSchema = z.enum(COMPONENTS);
const stepErrorSchema = z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }));

/** Every step names its stack, and (from the state machines) the execution running it. */
const stepSchema = z.object({ stackId: z.string(), execution: z.optional(z.string()) });
const attemptSchema = z._default(z.int().check(z.nonnegative()), 0);

export const workflowInputSchema = z.discriminatedUnion('action', [
  z.extend(stepSchema, { action: z.literal('deploy'), component: componentSchema }),
  z.extend(stepSchema, { action: z.literal('check'), component: componentSchema, attempt: attemptSchema }),
  z.extend(stepSchema, { action: z.literal('fail-step'), component: componentSchema, error: stepErrorSchema }),
  z.extend(stepSchema, { action: z.literal('start-rollback'), error: stepErrorSchema }),
  z.extend(stepSchema, { action: z.literal('delete'), component: componentSchema }),
  z.extend(stepSchema, { action: z.literal('check-deletion'), component: componentSchema, attempt: attemptSchema }),
  z.extend(stepSchema, { action: z.literal('abandon'), component: componentSchema, error: stepErrorSchema }),
  z.extend(stepSchema, { action: z.literal('finish'), outcome: z.enum(['create', 'rollback', 'delete']) }),
]);
export type WorkflowInput = z.input<typeof workflowInputSchema>;

type WorkflowAction = WorkflowInput['action'];
type StepInputs = { [A in WorkflowAction]: Extract<z.output<typeof workflowInputSchema>, { action: A }> };
type Steps = { [A in WorkflowAction]: (context: StepContext, input: StepInputs[A]) => Promise<StepResult> };

const STEPS: Steps = {
  deploy: deployComponent,
  check: checkCreation,
  'fail-step': recordStepFailure,
  'start-rollback': startRollback,
  delete: deleteComponent,
  'check-deletion': checkDeletion,
  abandon: abandonDeletion,
  finish: (context, input) => (input.outcome === 'create' ? finishCreation(context, input) : finishTeardown(context, input, input.outcome)),
};

export interface StackWorkflowDeps {
  recorder: StackRecorder;
  accounts: AccountStore;
  cloudFormation: CustomerCloudFormation;
  logger: Logger;
  now?: () => Date;
}

export function createStackWorkflow(deps: StackWorkflowDeps): (rawInput: unknown) => Promise<StepResult> {
  const context: StepContext = { recorder: deps.recorder, customers: new CustomerStacks(deps), now: deps.now ?? (() => new Date()) };
  // Generic over the action, so the input's type follows the step's (TypeScript's correlated unions).
  const run = <A extends WorkflowAction>(action: A, input: StepInputs[A]) => STEPS[action](context, input);
  return async function handle(rawInput: unknown): Promise<StepResult> {
    const input = workflowInputSchema.parse(rawInput);
    deps.logger.info('workflow step', { ...input });
    return run(input.action, input);
  };
}
