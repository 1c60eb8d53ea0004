import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
  type Stack as CfnStack,
} from '@aws-sdk/client-cloudformation';
import { z } from 'zod/v3';
import type { Account } from '../../accounts/account';
import type { AccountStore } from '../../accounts/account-store';
import type { CustomerCloudFormation } from '../../aws/customer-clients';
import type { Logger } from '../../log/logger';
import { buildStackTemplates } from '../../templates/build-stack-templates';
import { COMPONENT_DEPENDENCIES, COMPONENTS, type ComponentName } from '../../model/components';
import { leftoversOf, type Stack, type StackStep } from '../stack';
import { GONE_STEP_STATUSES } from '../../model/statuses';
import { StaleStackWriteError } from '../errors';
import type { StackRecorder } from '../stack-recorder';
import { componentSeconds, deadlineSeconds, expectedSeconds, pollSeconds } from './component-timing';
import {
  ComponentFailedError,
  ComponentTimedOutError,
  CustomerAccessDeniedError,
  DependencyNotReadyError,
  classifyCustomerError,
} from './errors';

/**
 * The steps the state machines run (statemachines/*.asl.json), one Lambda dispatching on
 * `action`. Every step reads the stack from the store, talks to the customer's CloudFormation
 * through the access role, and records what it saw through the StackRecorder; it is safe to
 * run twice (Step Functions retries), and a step that finds its work already done says so.
 */
const componentSchema = z.enum(COMPONENTS);
const stepErrorSchema = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough();

/** Every step names its stack, and (from the state machines) the execution running it. */
const stepSchema = z.object({ stackId: z.string(), execution: z.string().optional() });
const attemptSchema = z.number().int().min(0).default(0);

export const workflowInputSchema = z.discriminatedUnion('action', [
  stepSchema.extend({ action: z.literal('deploy'), component: componentSchema }),
  stepSchema.extend({ action: z.literal('check'), component: componentSchema, attempt: attemptSchema }),
  stepSchema.extend({ action: z.literal('fail-step'), component: componentSchema, error: stepErrorSchema.optional() }),
  stepSchema.extend({ action: z.literal('start-rollback'), error: stepErrorSchema.optional() }),
  stepSchema.extend({ action: z.literal('delete'), component: componentSchema }),
  stepSchema.extend({ action: z.literal('check-deletion'), component: componentSchema, attempt: attemptSchema }),
  stepSchema.extend({ action: z.literal('abandon'), component: componentSchema, error: stepErrorSchema.optional() }),
  stepSchema.extend({ action: z.literal('finish'), outcome: z.enum(['create', 'rollback', 'delete']) }),
]);
export type WorkflowInput = z.input<typeof workflowInputSchema>;

export interface StepResult {
  status: 'SKIPPED' | 'IN_PROGRESS' | 'COMPLETE' | 'DELETING' | 'GONE' | 'RETRY' | 'LEFT' | 'DONE';
  waitSeconds?: number;
  attempt?: number;
  stackStatus?: string;
}

export interface StackWorkflowDeps {
  recorder: StackRecorder;
  accounts: AccountStore;
  cloudFormation: CustomerCloudFormation;
  logger: Logger;
  now?: () => Date;
}

/** A component whose stack fails to delete this many times is left, and reported. */
export const MAX_DELETE_ATTEMPTS = 3;
/** Longer than the workflow function's timeout (50 s): a deploy still running is done by then. */
const DEPLOY_IN_FLIGHT_MS = 60_000;
const IN_FLIGHT_POLL_SECONDS = 5;

const DEPENDENTS: Record<ComponentName, ComponentName[]> = Object.fromEntries(
  COMPONENTS.map((component) => [component, COMPONENTS.filter((other) => COMPONENT_DEPENDENCIES[other].includes(component))]),
) as Record<ComponentName, ComponentName[]>;

export function createStackWorkflow(deps: StackWorkflowDeps) {
  const now = deps.now ?? (() => new Date());
  const { recorder } = deps;

  async function customer(stack: Stack): Promise<{ account: Account; cfn: CloudFormationClient }> {
    const account = await deps.accounts.get(stack.accountId);
    if (!account?.accessRoleArn || !account.executionRoleArn) {
      throw new CustomerAccessDeniedError(`Account ${stack.accountId} has no connected access role (status ${account?.status ?? 'missing'}).`);
    }
    try {
      const cfn = await deps.cloudFormation({ accessRoleArn: account.accessRoleArn, externalId: account.externalId, sessionName: `groundwork-${stack.id}` }, stack.region);
      return { account, cfn };
    } catch (error) {
      throw classifyCustomerError(error, `AssumeRole of ${account.accessRoleArn}`);
    }
  }

  /** The component's stack as CloudFormation sees it, or undefined when it does not exist. */
  async function describe(cfn: CloudFormationClient, step: StackStep): Promise<CfnStack | undefined> {
    try {
      const result = await cfn.send(new DescribeStacksCommand({ StackName: step.cloudFormationStackId ?? step.cloudFormationStackName }));
      const found = result.Stacks?.[0];
      return found && found.StackStatus !== 'DELETE_COMPLETE' ? found : undefined;
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationError' && /does not exist/.test(error.message)) return undefined;
      throw classifyCustomerError(error, `DescribeStacks of ${step.cloudFormationStackName}`);
    }
  }

  /** The first resource failure CloudFormation reported: what a customer needs to act on. */
  async function failureReason(cfn: CloudFormationClient, found: CfnStack): Promise<string> {
    try {
      const events = await cfn.send(new DescribeStackEventsCommand({ StackName: found.StackId ?? found.StackName }));
      const first = (events.StackEvents ?? [])
        .filter((e) => e.ResourceStatus?.endsWith('_FAILED') && e.ResourceStatusReason && e.LogicalResourceId !== found.StackName)
        .at(-1);
      if (first) return `${first.LogicalResourceId ?? 'a resource'} (${first.ResourceType ?? 'unknown type'}): ${first.ResourceStatusReason ?? ''}`;
    } catch (error) {
      deps.logger.warn('could not read stack events', { stackName: found.StackName, error });
    }
    return found.StackStatusReason ?? `stack ended ${found.StackStatus ?? 'in an unknown state'}`;
  }

  function clientToken(stack: Stack, component: ComponentName, suffix: string): string {
    return `gw-${stack.executionName}-${component}-${suffix}`.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 128);
  }

  async function deploy(stackId: string, component: ComponentName): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const step = stack.steps[component];
    if (step.status === 'SKIPPED') return { status: 'SKIPPED' };
    if (step.status === 'COMPLETE') return { status: 'COMPLETE' };
    // A late attempt (its execution already failed and compensating) must not create anything.
    if (stack.status !== 'CREATE_IN_PROGRESS' || !['PENDING', 'IN_PROGRESS'].includes(step.status)) {
      throw new ComponentFailedError(`${component} is not deployed: the stack is ${stack.status} and the step ${step.status}`);
    }
    const waiting = COMPONENT_DEPENDENCIES[component].filter((d) => !['COMPLETE', 'SKIPPED'].includes(stack.steps[d].status));
    if (waiting.length > 0) throw new DependencyNotReadyError(`${component} waits for ${waiting.join(', ')}`);

    // Claim the step while the stack is still being created. The rollback's own write is on the
    // same item, so one of the two wins: either this deploy never calls CreateStack, or the
    // teardown sees the step IN_PROGRESS and waits for what it may create.
    try {
      await recorder.recordStep(stackId, component, { status: 'IN_PROGRESS', set: { startedAt: step.startedAt ?? now().toISOString() } }, { whileStack: 'CREATE_IN_PROGRESS' });
    } catch (error) {
      if (error instanceof StaleStackWriteError) throw new ComponentFailedError(`${component} is not deployed: ${error.message}`);
      throw error;
    }

    const { account, cfn } = await customer(stack);
    const template = buildStackTemplates({ request: stack.request, network: stack.network, tenantId: stack.tenantId, stackId: stack.id }).find((t) => t.component === component);
    if (!template) throw new ComponentFailedError(`${component} is not part of this stack's request`);
    const parameters = Object.entries(template.parameters).map(([key, source]) => {
      let value: string | undefined;
      if (source.kind === 'value') value = source.value;
      else if (source.kind === 'context') value = account.permissionsBoundaryArn;
      else value = stack.steps[source.component].outputs?.[source.output];
      if (value === undefined) throw new ComponentFailedError(`${component} needs ${key}, which ${source.kind === 'output' ? `${source.component} did not output` : 'the account does not record'}`);
      return { ParameterKey: key, ParameterValue: value };
    });

    let cloudFormationStackId: string | undefined;
    try {
      const created = await cfn.send(
        new CreateStackCommand({
          StackName: step.cloudFormationStackName,
          TemplateBody: JSON.stringify(template.template),
          Parameters: parameters,
          RoleARN: account.executionRoleArn,
          Capabilities: ['CAPABILITY_IAM'],
          ClientRequestToken: clientToken(stack, component, 'create'),
          Tags: [
            { Key: 'groundwork:tenant', Value: stack.tenantId },
            { Key: 'groundwork:stack', Value: stack.id },
            { Key: 'groundwork:component', Value: component },
          ],
        }),
      );
      cloudFormationStackId = created.StackId;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'AlreadyExistsException')) throw classifyCustomerError(error, `CreateStack of ${step.cloudFormationStackName}`);
      // Created by an earlier attempt of this step whose answer was lost: adopt it if it is ours.
      const existing = await describe(cfn, step);
      const owner = existing?.Tags?.find((tag) => tag.Key === 'groundwork:stack')?.Value;
      if (!existing || owner !== stack.id) throw new ComponentFailedError(`A stack named ${step.cloudFormationStackName} exists that this Groundwork stack did not create.`);
      cloudFormationStackId = existing.StackId;
    }

    if (cloudFormationStackId) await recorder.recordStep(stackId, component, { status: 'IN_PROGRESS', set: { cloudFormationStackId } });
    return { status: 'IN_PROGRESS', waitSeconds: expectedSeconds(template.template, 'create'), attempt: 0 };
  }

  async function check(stackId: string, component: ComponentName, attempt: number): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const step = stack.steps[component];
    if (step.status === 'COMPLETE') return { status: 'COMPLETE' };
    const { cfn } = await customer(stack);
    const found = await describe(cfn, step);
    if (!found) throw new ComponentFailedError(`The CloudFormation stack ${step.cloudFormationStackName} no longer exists.`);
    switch (found.StackStatus) {
      case 'CREATE_COMPLETE': {
        const outputs = Object.fromEntries((found.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])));
        await recorder.recordStep(stackId, component, { status: 'COMPLETE', set: { outputs, endedAt: now().toISOString() } });
        return { status: 'COMPLETE' };
      }
      case 'CREATE_IN_PROGRESS': {
        const started = Date.parse(step.startedAt ?? stack.createdAt);
        const deadline = deadlineSeconds(componentSeconds(stack, component, 'create'));
        if (now().getTime() - started > deadline * 1000) {
          throw new ComponentTimedOutError(`${component} did not finish within ${Math.round(deadline / 60)} minutes (CloudFormation still reports CREATE_IN_PROGRESS).`);
        }
        return { status: 'IN_PROGRESS', waitSeconds: pollSeconds(attempt), attempt: attempt + 1 };
      }
      default:
        throw new ComponentFailedError(`${component} failed: ${await failureReason(cfn, found)}`);
    }
  }

  async function failStep(stackId: string, component: ComponentName, error: z.infer<typeof stepErrorSchema> | undefined, execution?: string): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const own = { whileExecution: execution ?? stack.executionName };
    const step = stack.steps[component];
    if (!['PENDING', 'IN_PROGRESS'].includes(step.status)) return { status: 'DONE' };
    await recorder.recordStep(stackId, component, { status: 'FAILED', set: { reason: describeStepError(error), endedAt: now().toISOString() } }, own);
    return { status: 'DONE' };
  }

  async function startRollback(stackId: string, error: z.infer<typeof stepErrorSchema> | undefined): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const failed = Object.values(stack.steps).find((s) => s.status === 'FAILED');
    const reason = failed ? `${failed.component}: ${failed.reason ?? 'failed'}` : describeStepError(error);
    const after = await recorder.recordStackStatus(stackId, { status: 'ROLLBACK_IN_PROGRESS', reason });
    return { status: 'DONE', stackStatus: after.status };
  }

  async function remove(stackId: string, component: ComponentName, execution?: string): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const own = { whileExecution: execution ?? stack.executionName };
    const step = stack.steps[component];
    if (GONE_STEP_STATUSES.includes(step.status)) return { status: 'GONE' };
    const { account, cfn } = await customer(stack);
    const found = await describe(cfn, step);
    if (!found) {
      if (mayStillBeCreating(step)) return { status: 'DELETING', waitSeconds: IN_FLIGHT_POLL_SECONDS, attempt: 0 };
      await recorder.recordStep(stackId, component, { status: step.status === 'PENDING' ? 'SKIPPED' : 'ROLLED_BACK', set: { endedAt: now().toISOString() } }, own);
      return { status: 'GONE' };
    }
    const blockers = DEPENDENTS[component].filter((d) => !GONE_STEP_STATUSES.includes(stack.steps[d].status));
    if (blockers.length > 0) {
      // Deleting it would fail while they still use it (and would leave them broken).
      await leave(stack, own, component, `not deleted: ${blockers.join(', ')} could not be deleted and still use${blockers.length === 1 ? 's' : ''} it`, found.StackId);
      return { status: 'LEFT' };
    }
    if (found.StackStatus === 'DELETE_IN_PROGRESS') return { status: 'DELETING', waitSeconds: componentSeconds(stack, component, 'delete'), attempt: 0 };
    const attempts = step.deleteExecution === stack.executionName ? (step.deleteAttempts ?? 0) : 0;
    if (attempts >= MAX_DELETE_ATTEMPTS) {
      await leave(stack, own, component, `delete failed ${attempts} times: ${await failureReason(cfn, found)}`, found.StackId);
      return { status: 'LEFT' };
    }
    try {
      await cfn.send(new DeleteStackCommand({ StackName: found.StackId ?? step.cloudFormationStackName, RoleARN: account.executionRoleArn, ClientRequestToken: clientToken(stack, component, `delete-${stack.deleteCount}-${attempts + 1}`) }));
    } catch (error) {
      throw classifyCustomerError(error, `DeleteStack of ${step.cloudFormationStackName}`);
    }
    await recorder.recordStep(stackId, component, {
      status: 'ROLLING_BACK',
      set: { deleteAttempts: attempts + 1, deleteExecution: stack.executionName, ...(found.StackId ? { cloudFormationStackId: found.StackId } : {}) },
    }, own);
    return { status: 'DELETING', waitSeconds: componentSeconds(stack, component, 'delete'), attempt: 0 };
  }

  async function checkDeletion(stackId: string, component: ComponentName, attempt: number, execution?: string): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const own = { whileExecution: execution ?? stack.executionName };
    const step = stack.steps[component];
    if (GONE_STEP_STATUSES.includes(step.status)) return { status: 'GONE' };
    const { cfn } = await customer(stack);
    const found = await describe(cfn, step);
    if (!found) {
      // Never asked to be deleted, because its deploy was still under way: look again.
      if (step.status === 'IN_PROGRESS') return mayStillBeCreating(step) ? { status: 'DELETING', waitSeconds: IN_FLIGHT_POLL_SECONDS, attempt: attempt + 1 } : { status: 'RETRY' };
      await recorder.recordStep(stackId, component, { status: 'ROLLED_BACK', set: { endedAt: now().toISOString() } }, own);
      return { status: 'GONE' };
    }
    if (found.StackStatus === 'DELETE_FAILED') return { status: 'RETRY' };
    return { status: 'DELETING', waitSeconds: pollSeconds(attempt), attempt: attempt + 1 };
  }

  /** The deletion itself kept failing (retries exhausted): record the component as left. */
  async function abandon(stackId: string, component: ComponentName, error: z.infer<typeof stepErrorSchema> | undefined, execution?: string): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const own = { whileExecution: execution ?? stack.executionName };
    if (GONE_STEP_STATUSES.includes(stack.steps[component].status)) return { status: 'GONE' };
    await leave(stack, own, component, `not deleted: ${describeStepError(error)}`);
    return { status: 'LEFT' };
  }

  /**
   * A step claimed IN_PROGRESS whose CreateStack has not been recorded may have a deploy still
   * running (Step Functions does not stop a Lambda when its execution fails): until the
   * function's timeout has passed, its stack may yet appear.
   */
  function mayStillBeCreating(step: StackStep): boolean {
    return step.status === 'IN_PROGRESS' && step.cloudFormationStackId === undefined && now().getTime() - Date.parse(step.startedAt ?? '') < DEPLOY_IN_FLIGHT_MS;
  }

  /** Records a component the teardown could not remove: it is reported as a leftover. */
  async function leave(stack: Stack, own: { whileExecution: string }, component: ComponentName, reason: string, cloudFormationStackId?: string): Promise<void> {
    const set = { reason, endedAt: now().toISOString(), ...(cloudFormationStackId ? { cloudFormationStackId } : {}) };
    await recorder.recordStep(stack.id, component, { status: 'FAILED', set }, own);
  }

  async function finish(stackId: string, ending: 'create' | 'rollback' | 'delete', execution?: string): Promise<StepResult> {
    const stack = await recorder.load(stackId);
    const own = { whileExecution: execution ?? stack.executionName };
    if (ending === 'create') {
      const after = await recorder.recordStackStatus(stackId, { status: 'CREATE_COMPLETE', ...own });
      return { status: 'DONE', stackStatus: after.status };
    }
    // A teardown that finishes a creation whose own workflow stopped (see StackReconciler) is its rollback.
    const outcome = ending === 'delete' && stack.status === 'ROLLBACK_IN_PROGRESS' ? 'rollback' : ending;
    const leftovers = leftoversOf(stack);
    const failed = outcome === 'rollback' ? 'ROLLBACK_FAILED' : 'DELETE_FAILED';
    const done = outcome === 'rollback' ? 'ROLLBACK_COMPLETE' : 'DELETE_COMPLETE';
    const after =
      leftovers.length > 0
        ? await recorder.recordStackStatus(stackId, {
            status: failed,
            ...own,
            reason: `These CloudFormation stacks could not be deleted: ${leftovers.map((l) => `${l.cloudFormationStackName} (${l.reason})`).join('; ')}`,
            set: { leftovers },
          })
        : await recorder.recordStackStatus(stackId, { status: done, ...own, ...(outcome === 'rollback' && stack.statusReason ? { reason: stack.statusReason } : {}), set: { leftovers: [] } });
    return { status: 'DONE', stackStatus: after.status };
  }

  return async function handle(rawInput: unknown): Promise<StepResult> {
    const input = workflowInputSchema.parse(rawInput);
    deps.logger.info('workflow step', { ...input });
    switch (input.action) {
      case 'deploy':
        return deploy(input.stackId, input.component);
      case 'check':
        return check(input.stackId, input.component, input.attempt);
      case 'fail-step':
        return failStep(input.stackId, input.component, input.error, input.execution);
      case 'start-rollback':
        return startRollback(input.stackId, input.error);
      case 'delete':
        return remove(input.stackId, input.component, input.execution);
      case 'check-deletion':
        return checkDeletion(input.stackId, input.component, input.attempt, input.execution);
      case 'abandon':
        return abandon(input.stackId, input.component, input.error, input.execution);
      case 'finish':
        return finish(input.stackId, input.outcome, input.execution);
    }
  };
}

/** Step Functions hands a caught error over as {Error, Cause}; Cause is the Lambda's JSON error. */
export function describeStepError(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'failed';
  let message = error.Cause ?? '';
  try {
    const cause = JSON.parse(message) as { errorMessage?: string };
    if (cause.errorMessage) message = cause.errorMessage;
  } catch {
    // a plain-text cause
  }
  return [error.Error, message].filter(Boolean).join(': ').slice(0, 1000) || 'failed';
}
