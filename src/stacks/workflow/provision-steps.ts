import type { Parameter } from '@aws-sdk/client-cloudformation';
import type { Account } from '../../accounts/account';
import { COMPONENT_DEPENDENCIES } from '../../model/components';
import { buildComponentTemplate } from '../../templates/build-stack-templates';
import type { ComponentTemplate } from '../../templates/component-template';
import { StaleStackWriteError } from '../errors';
import type { Stack } from '../stack';
import { componentSeconds, deadlineSeconds, expectedSeconds, pollSeconds } from './component-timing';
import { ComponentFailedError, ComponentTimedOutError, DependencyNotReadyError } from './errors';
import { describeStepError, loadForExecution, type ComponentStepInput, type StackStepInput, type StepContext, type StepError, type StepResult } from './workflow-step';

/**
 * The provisioning steps of a component's branch (statemachines/provision-stack.asl.json):
 * deploy its CloudFormation stack, check it until it is complete and record its outputs, or
 * record why it failed; and, when every branch is done, mark the stack created.
 */

/** Action `deploy`: creates the component's CloudFormation stack once what it needs is built. */
export async function deployComponent(context: StepContext, { stackId, component }: ComponentStepInput): Promise<StepResult> {
  const { recorder, now } = context;
  const stack = await recorder.load(stackId);
  const step = stack.steps[component];
  if (step.status === 'SKIPPED') return { outcome: 'SKIPPED' };
  if (step.status === 'COMPLETE') return { outcome: 'COMPLETE' };
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

  const customer = await context.customers.connect(stack);
  const template = buildComponentTemplate({ request: stack.request, network: stack.network, tenantId: stack.tenantId, stackId: stack.id }, component);
  if (!template) throw new ComponentFailedError(`${component} is not part of this stack's request`);
  const cloudFormationStackId = await customer.create(component, step, template.template, parameterValues(stack, customer.account, template));

  if (cloudFormationStackId) await recorder.recordStep(stackId, component, { status: 'IN_PROGRESS', set: { cloudFormationStackId } });
  return { outcome: 'IN_PROGRESS', waitSeconds: expectedSeconds(template.template, 'create'), attempt: 0 };
}

/** The template's parameters, from literal values, the account's onboarding record, the stack's AZs and the outputs of the components it needs. */
export function parameterValues(stack: Stack, account: Account, { component, parameters }: ComponentTemplate): Parameter[] {
  return Object.entries(parameters).map(([key, source]) => {
    let value: string | undefined;
    let missing: string;
    switch (source.kind) {
      case 'value':
        value = source.value;
        missing = 'has no value';
        break;
      case 'context':
        value = account.deployContext?.[source.key];
        missing = 'the account does not record (its onboarding stack predates it: update the GroundworkOnboarding stack)';
        break;
      case 'zone':
        value = stack.network.availabilityZones?.[source.azIndex]?.name;
        missing = 'the stack does not record (it was created before Groundwork chose AZs: delete it and create it again)';
        break;
      case 'output':
        value = stack.steps[source.component].outputs?.[source.output];
        missing = `${source.component} did not output`;
        break;
    }
    if (value === undefined) throw new ComponentFailedError(`${component} needs ${key}, which ${missing}`);
    return { ParameterKey: key, ParameterValue: value };
  });
}

/** Action `check`: records the outputs of a complete stack, waits on one in progress (up to its deadline), fails a failed one. */
export async function checkCreation(context: StepContext, { stackId, component, attempt }: ComponentStepInput & { attempt: number }): Promise<StepResult> {
  const { recorder, now } = context;
  const stack = await recorder.load(stackId);
  const step = stack.steps[component];
  if (step.status === 'COMPLETE') return { outcome: 'COMPLETE' };
  const customer = await context.customers.connect(stack);
  const found = await customer.describe(step);
  if (!found) throw new ComponentFailedError(`The CloudFormation stack ${step.cloudFormationStackName} no longer exists.`);
  switch (found.StackStatus) {
    case 'CREATE_COMPLETE': {
      const outputs = Object.fromEntries((found.Outputs ?? []).flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])));
      await recorder.recordStep(stackId, component, { status: 'COMPLETE', set: { outputs, endedAt: now().toISOString() } });
      return { outcome: 'COMPLETE' };
    }
    case 'CREATE_IN_PROGRESS': {
      const started = Date.parse(step.startedAt ?? stack.createdAt);
      const deadline = deadlineSeconds(componentSeconds(stack, component, 'create'));
      if (now().getTime() - started > deadline * 1000) {
        throw new ComponentTimedOutError(`${component} did not finish within ${Math.round(deadline / 60)} minutes (CloudFormation still reports CREATE_IN_PROGRESS).`);
      }
      return { outcome: 'IN_PROGRESS', waitSeconds: pollSeconds(attempt), attempt: attempt + 1 };
    }
    default:
      throw new ComponentFailedError(`${component} failed: ${await customer.failureReason(found)}`);
  }
}

/** Action `fail-step`: the branch caught a failure; the step records it as FAILED, with why. */
export async function recordStepFailure(context: StepContext, input: ComponentStepInput & { error?: StepError }): Promise<StepResult> {
  const { stack, own } = await loadForExecution(context, input);
  const step = stack.steps[input.component];
  if (!['PENDING', 'IN_PROGRESS'].includes(step.status)) return { outcome: 'DONE' };
  await context.recorder.recordStep(input.stackId, input.component, { status: 'FAILED', set: { reason: describeStepError(input.error), endedAt: context.now().toISOString() } }, own);
  return { outcome: 'DONE' };
}

/** Action `finish` with outcome `create`: every component is built. */
export async function finishCreation(context: StepContext, input: StackStepInput): Promise<StepResult> {
  const { own } = await loadForExecution(context, input);
  const after = await context.recorder.recordStackStatus(input.stackId, { status: 'CREATE_COMPLETE', ...own });
  return { outcome: 'DONE', stackStatus: after.status };
}
