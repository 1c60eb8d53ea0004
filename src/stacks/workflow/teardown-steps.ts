import { COMPONENT_DEPENDENCIES, COMPONENTS, type ComponentName } from '../../model/components';
import { GONE_STEP_STATUSES } from '../../model/statuses';
import { leftoversOf, type Stack, type StackStep } from '../stack';
import { componentSeconds, pollSeconds } from './component-timing';
import { describeStepError, loadForExecution, type ComponentStepInput, type ExecutionGuard, type StackStepInput, type StepContext, type StepError, type StepResult } from './workflow-step';

/**
 * The teardown steps (statemachines/delete-stack.asl.json, and the rollback of a failed
 * provisioning): start the rollback, delete each component's CloudFormation stack and wait until
 * it is gone, record the ones that could not be deleted as leftovers, and end the stack's
 * rollback or deletion with them.
 */

/** A component whose stack fails to delete this many times is left, and reported. */
export const MAX_DELETE_ATTEMPTS = 3;
/** Longer than the workflow function's timeout (50 s): a deploy still running is done by then. */
const DEPLOY_IN_FLIGHT_MS = 60_000;
const IN_FLIGHT_POLL_SECONDS = 5;

/**
 * Whether CloudFormation can take DeleteStack now. A stack at rest can be deleted, and so can one
 * being created (there is no CancelCreate: deleting is how a creation is stopped, the way tools do
 * it, e.g. lono's `cfn cancel`). Any other operation in progress — a rollback above all — is let
 * finish first: CloudFormation runs one operation on a stack at a time and refuses DeleteStack
 * during others ("Stack [name] cannot be deleted while in status …"); a refusal would be a final
 * error here, and a stack that would have finished its rollback would be reported as a leftover.
 */
export function deletableNow(status: string | undefined): boolean {
  return status === undefined || status === 'CREATE_IN_PROGRESS' || !status.endsWith('_IN_PROGRESS');
}

const DEPENDENTS: Record<ComponentName, ComponentName[]> = Object.fromEntries(
  COMPONENTS.map((component) => [component, COMPONENTS.filter((other) => COMPONENT_DEPENDENCIES[other].includes(component))]),
) as Record<ComponentName, ComponentName[]>;

/** Action `start-rollback`: the stack rolls back, with the failed component's reason. */
export async function startRollback(context: StepContext, { stackId, error }: StackStepInput & { error?: StepError }): Promise<StepResult> {
  const stack = await context.recorder.load(stackId);
  const failed = Object.values(stack.steps).find((s) => s.status === 'FAILED');
  const reason = failed ? `${failed.component}: ${failed.reason ?? 'failed'}` : describeStepError(error);
  const after = await context.recorder.recordStackStatus(stackId, { status: 'ROLLBACK_IN_PROGRESS', reason });
  return { outcome: 'DONE', stackStatus: after.status };
}

/** Action `delete`: asks CloudFormation to delete the component's stack, unless it is gone or others still use it. */
export async function deleteComponent(context: StepContext, input: ComponentStepInput): Promise<StepResult> {
  const { recorder, now } = context;
  const { stackId, component } = input;
  const target = await componentToDelete(context, input);
  if (!target) return { outcome: 'GONE' };
  const { stack, own, step, customer, found } = target;
  if (!found) {
    if (mayStillBeCreating(step, now)) return { outcome: 'DELETING', waitSeconds: IN_FLIGHT_POLL_SECONDS, attempt: 0 };
    await recorder.recordStep(stackId, component, { status: step.status === 'PENDING' ? 'SKIPPED' : 'ROLLED_BACK', set: { endedAt: now().toISOString() } }, own);
    return { outcome: 'GONE' };
  }
  const blockers = DEPENDENTS[component].filter((d) => !GONE_STEP_STATUSES.includes(stack.steps[d].status));
  if (blockers.length > 0) {
    // Deleting it would fail while they still use it (and would leave them broken).
    await recordLeftover(context, stack, own, component, `not deleted: ${blockers.join(', ')} could not be deleted and still use${blockers.length === 1 ? 's' : ''} it`, found.StackId);
    return { outcome: 'LEFT' };
  }
  if (found.StackStatus === 'DELETE_IN_PROGRESS') return { outcome: 'DELETING', waitSeconds: componentSeconds(stack, component, 'delete'), attempt: 0 };
  // A rollback (or another operation) still running: wait for its end, then ask (check-deletion says RETRY).
  if (!deletableNow(found.StackStatus)) return { outcome: 'DELETING', waitSeconds: pollSeconds(0), attempt: 0 };
  const attempts = step.deleteExecution === stack.executionName ? (step.deleteAttempts ?? 0) : 0;
  if (attempts >= MAX_DELETE_ATTEMPTS) {
    await recordLeftover(context, stack, own, component, `delete failed ${attempts} times: ${await customer.failureReason(found)}`, found.StackId);
    return { outcome: 'LEFT' };
  }
  await customer.delete(component, step, found, attempts + 1);
  await recorder.recordStep(
    stackId,
    component,
    {
      status: 'ROLLING_BACK',
      set: { deleteAttempts: attempts + 1, deleteExecution: stack.executionName, ...(found.StackId ? { cloudFormationStackId: found.StackId } : {}) },
    },
    own,
  );
  return { outcome: 'DELETING', waitSeconds: componentSeconds(stack, component, 'delete'), attempt: 0 };
}

/** Action `check-deletion`: records a stack that is gone, waits on one being deleted (or rolled back), asks to delete a failed deletion, or one whose rollback ended, again. */
export async function checkDeletion(context: StepContext, input: ComponentStepInput & { attempt: number }): Promise<StepResult> {
  const { stackId, component, attempt } = input;
  const target = await componentToDelete(context, input);
  if (!target) return { outcome: 'GONE' };
  const { own, step, found } = target;
  if (!found) {
    // Never asked to be deleted, because its deploy was still under way: look again.
    if (step.status === 'IN_PROGRESS') return mayStillBeCreating(step, context.now) ? { outcome: 'DELETING', waitSeconds: IN_FLIGHT_POLL_SECONDS, attempt: attempt + 1 } : { outcome: 'RETRY' };
    await context.recorder.recordStep(stackId, component, { status: 'ROLLED_BACK', set: { endedAt: context.now().toISOString() } }, own);
    return { outcome: 'GONE' };
  }
  // A failed deletion, a rollback that has ended, a stack that appeared late: ask for its deletion (again).
  if (deletableNow(found.StackStatus)) return { outcome: 'RETRY' };
  return { outcome: 'DELETING', waitSeconds: pollSeconds(attempt), attempt: attempt + 1 };
}

/** Action `abandon`: the deletion itself kept failing (retries exhausted), so the component is left. */
export async function abandonDeletion(context: StepContext, input: ComponentStepInput & { error?: StepError }): Promise<StepResult> {
  const { stack, own } = await loadForExecution(context, input);
  if (GONE_STEP_STATUSES.includes(stack.steps[input.component].status)) return { outcome: 'GONE' };
  await recordLeftover(context, stack, own, input.component, `not deleted: ${describeStepError(input.error)}`);
  return { outcome: 'LEFT' };
}

/**
 * Action `finish` with outcome `rollback` or `delete`: the stack ends rolled back or deleted, or
 * failed to, naming the CloudFormation stacks left in the customer's account.
 */
export async function finishTeardown(context: StepContext, input: StackStepInput, ending: 'rollback' | 'delete'): Promise<StepResult> {
  const { stack, own } = await loadForExecution(context, input);
  // A teardown that finishes a creation whose own workflow stopped (see StackReconciler) is its rollback.
  const endsAs = ending === 'delete' && stack.status === 'ROLLBACK_IN_PROGRESS' ? 'rollback' : ending;
  const leftovers = leftoversOf(stack);
  const failed = endsAs === 'rollback' ? 'ROLLBACK_FAILED' : 'DELETE_FAILED';
  const done = endsAs === 'rollback' ? 'ROLLBACK_COMPLETE' : 'DELETE_COMPLETE';
  const after =
    leftovers.length > 0
      ? await context.recorder.recordStackStatus(input.stackId, {
          status: failed,
          ...own,
          reason: `These CloudFormation stacks could not be deleted: ${leftovers.map((l) => `${l.cloudFormationStackName} (${l.reason})`).join('; ')}`,
          set: { leftovers },
        })
      : await context.recorder.recordStackStatus(input.stackId, { status: done, ...own, ...(endsAs === 'rollback' && stack.statusReason ? { reason: stack.statusReason } : {}), set: { leftovers: [] } });
  return { outcome: 'DONE', stackStatus: after.status };
}

/** The component's step and its CloudFormation stack (undefined when there is none), or undefined when the step is already gone. */
async function componentToDelete(context: StepContext, input: ComponentStepInput) {
  const { stack, own } = await loadForExecution(context, input);
  const step = stack.steps[input.component];
  if (GONE_STEP_STATUSES.includes(step.status)) return undefined;
  const customer = await context.customers.connect(stack);
  return { stack, own, step, customer, found: await customer.describe(step) };
}

/**
 * A step claimed IN_PROGRESS whose CreateStack has not been recorded may have a deploy still
 * running (Step Functions does not stop a Lambda when its execution fails): until the
 * function's timeout has passed, its stack may yet appear.
 */
function mayStillBeCreating(step: StackStep, now: () => Date): boolean {
  return step.status === 'IN_PROGRESS' && step.cloudFormationStackId === undefined && now().getTime() - Date.parse(step.startedAt ?? '') < DEPLOY_IN_FLIGHT_MS;
}

/** Marks a component the teardown could not delete FAILED, with why: leftoversOf reports it as a leftover. */
async function recordLeftover(context: StepContext, stack: Stack, own: ExecutionGuard, component: ComponentName, reason: string, cloudFormationStackId?: string): Promise<void> {
  const set = { reason, endedAt: context.now().toISOString(), ...(cloudFormationStackId ? { cloudFormationStackId } : {}) };
  await context.recorder.recordStep(stack.id, component, { status: 'FAILED', set }, own);
}
