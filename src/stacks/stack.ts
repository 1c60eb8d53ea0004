import type { NetworkPlan } from '../model/network-plan';
import { COMPONENTS, componentStackName, type ComponentName } from '../model/components';
import type { StackRequest } from '../model/stack-request';
import { GONE_STEP_STATUSES, type StackStatus, type StepStatus } from '../model/statuses';

export interface StackStep {
  component: ComponentName;
  status: StepStatus;
  /** groundwork-<stackId>-<component> */
  cloudFormationStackName: string;
  cloudFormationStackId?: string;
  startedAt?: string;
  endedAt?: string;
  reason?: string;
  /** The component stack's outputs: ids, endpoints, ARNs — never a secret value. */
  outputs?: Record<string, string>;
  /** Deletions tried by the operation named in deleteExecution (a new teardown starts again). */
  deleteAttempts?: number;
  deleteExecution?: string;
}

export interface Leftover {
  component: ComponentName;
  cloudFormationStackName: string;
  reason: string;
}

/** A Groundwork stack: the components deployed for one request, and their state. */
export interface Stack {
  id: string;
  tenantId: string;
  accountId: string;
  name: string;
  region: string;
  request: StackRequest;
  network: NetworkPlan;
  status: StackStatus;
  statusReason?: string;
  steps: Record<ComponentName, StackStep>;
  leftovers?: Leftover[];
  /** Name of the execution of the current operation (create, or delete-<n>). */
  executionName: string;
  deleteCount: number;
  /** The execution that stopped before it finished, which the current operation replaced. */
  restartedAfter?: string;
  /** How many times a stopped workflow was replaced for this stack (bounded). */
  restarts?: number;
  /** Counted in its account's live stacks when created (stacks from before that count was kept are not). */
  countsAsLive?: boolean;
  /** Counted in its tenant's live stacks when created (stacks from before the tenant caps are not). */
  countsInTenant?: boolean;
  /** Its name, block and live marker have been given back (it holds nothing in the account). */
  released?: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}


/** A stack's provisioning execution is named after it; each teardown after it and its number. */
/** A new stack's steps: PENDING for the components it deploys, SKIPPED for the others, each with its CloudFormation stack name. */
export function initialSteps(stackId: string, deployed: ReadonlySet<ComponentName>): Record<ComponentName, StackStep> {
  return Object.fromEntries(
    COMPONENTS.map((component): [ComponentName, StackStep] => [
      component,
      { component, status: deployed.has(component) ? 'PENDING' : 'SKIPPED', cloudFormationStackName: componentStackName(stackId, component) },
    ]),
  ) as Record<ComponentName, StackStep>;
}

export const teardownExecutionName = (stackId: string, deleteCount: number) => `${stackId}-delete-${deleteCount}`;

/** Whether the stack's current execution is a teardown (delete-stack), not its provisioning. */
export const runsTeardown = (stack: Pick<Stack, 'id' | 'executionName'>) => stack.executionName !== stack.id;

/** The component stacks a teardown has not removed, and why. */
export function leftoversOf(stack: Stack): Leftover[] {
  return Object.values(stack.steps)
    .filter((s) => !GONE_STEP_STATUSES.includes(s.status))
    .map((s) => ({ component: s.component, cloudFormationStackName: s.cloudFormationStackName, reason: s.reason ?? `left in ${s.status}` }));
}

/** What a step looks like through the API: everything but internal bookkeeping. */
export function stepView(step: StackStep) {
  const { deleteAttempts: _attempts, deleteExecution: _execution, ...view } = step;
  return view;
}

export function stackView(stack: Stack) {
  return {
    id: stack.id,
    name: stack.name,
    accountId: stack.accountId,
    region: stack.region,
    status: stack.status,
    ...(stack.statusReason !== undefined ? { statusReason: stack.statusReason } : {}),
    vpcCidr: stack.network.vpcCidr,
    ...(stack.network.availabilityZones ? { availabilityZones: stack.network.availabilityZones } : {}),
    request: stack.request,
    steps: Object.values(stack.steps).map(stepView),
    ...(stack.leftovers ? { leftovers: stack.leftovers } : {}),
    createdAt: stack.createdAt,
    updatedAt: stack.updatedAt,
  };
}
