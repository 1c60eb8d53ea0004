import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { readServiceDefinition, REPOSITORY_ROOT } from '../local/runtime/service-definition';
import type { SandboxCall } from '../local/sandbox/call-log';
import { deleteExecutionArn, groundworkStackOf, provisionExecutionArn, round, type BenchGroundwork, type ConnectedAccount, type StackView } from './harness';
import { taskDurations } from './makespan';

/**
 * Benchmark 2 (issue 6): what orchestrating one default stack costs us, per create and per
 * delete. Everything is counted from logs of the run, never from constants:
 * - state transitions, from the execution's history (GetExecutionHistory): every state entered
 *   is one transition, and every retry of a Task one more (a retry shows as a further
 *   LambdaFunctionScheduled without a new TaskStateEntered) — as Step Functions bills them;
 * - Lambda invocations: the LambdaFunctionScheduled events (every Task attempt invokes the
 *   stackWorkflow function once);
 * - Lambda duration: each Task state's time from entered to exited, on this machine (an upper
 *   bound of the function's own run time here; in AWS the calls inside take longer — see the
 *   note in RESULTS.md);
 * - CloudFormation API calls, from the sandbox's request log (GET /_sandbox/calls): every call
 *   whose StackName is one of this stack's component stacks, split at the DELETE request.
 * Targets for a default stack create: ≤ 150 state transitions, ≤ 60 CloudFormation calls.
 */
export const TRANSITIONS_TARGET = 150;
export const CLOUDFORMATION_CALLS_TARGET = 60;

/**
 * Published on-demand prices, us-east-1, as listed on https://aws.amazon.com/step-functions/pricing/
 * and https://aws.amazon.com/lambda/pricing/ (read 2026-11): Standard workflows $0.025 per 1,000
 * state transitions (after 4,000 free a month); Lambda $0.20 per million requests and, on arm64
 * (serverless.yml's architecture), $0.0000133334 per GB-second (first 7.5 billion GB-s a month).
 * Free tiers are left out: this is the marginal cost of one more stack.
 */
export const PRICES = {
  asOf: '2026-11',
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaArm64PerGbSecond: 0.0000133334,
} as const;

export interface OperationCost {
  transitions: number;
  retries: number;
  lambdaInvocations: number;
  lambdaSeconds: number;
  cloudFormationCalls: number;
  byAction: Record<string, number>;
  dollars: { stepFunctions: number; lambdaRequests: number; lambdaDuration: number; total: number };
  /** AWS-equivalent seconds the operation took. */
  seconds: number;
}

export interface OrchestrationCostResult {
  create: OperationCost;
  delete: OperationCost;
  memoryMb: number;
  /** What the sandbox account still holds of the stack once it is deleted (must be nothing). */
  leftAfterDelete: string[];
}

export function countTransitions(history: readonly HistoryEvent[]): { transitions: number; retries: number; lambdaInvocations: number } {
  const count = (predicate: (type: string) => boolean) => history.filter((event) => predicate(event.type ?? '')).length;
  const entered = count((type) => type.endsWith('StateEntered'));
  const lambdaInvocations = count((type) => type === 'LambdaFunctionScheduled');
  const retries = lambdaInvocations - count((type) => type === 'TaskStateEntered');
  return { transitions: entered + retries, retries, lambdaInvocations };
}

function cost(history: readonly HistoryEvent[], calls: readonly SandboxCall[], memoryMb: number, seconds: number): OperationCost {
  const { transitions, retries, lambdaInvocations } = countTransitions(history);
  // Lambda bills each invocation's duration rounded up to the millisecond.
  const lambdaSeconds = taskDurations(history).reduce((sum, ms) => sum + Math.ceil(ms), 0) / 1000;
  const byAction: Record<string, number> = {};
  for (const call of calls) byAction[call.action] = (byAction[call.action] ?? 0) + 1;
  const stepFunctions = transitions * PRICES.stepFunctionsPerTransition;
  const lambdaRequests = lambdaInvocations * PRICES.lambdaPerRequest;
  const lambdaDuration = lambdaSeconds * (memoryMb / 1024) * PRICES.lambdaArm64PerGbSecond;
  return {
    transitions,
    retries,
    lambdaInvocations,
    lambdaSeconds,
    cloudFormationCalls: calls.length,
    byAction,
    dollars: { stepFunctions, lambdaRequests, lambdaDuration, total: stepFunctions + lambdaRequests + lambdaDuration },
    seconds,
  };
}

/** Counts the create of `stack` (already CREATE_COMPLETE), then deletes it through the API and counts that. */
export async function measureOrchestrationCost(gw: BenchGroundwork, stack: StackView, account: ConnectedAccount): Promise<OrchestrationCostResult> {
  const memoryMb = readServiceDefinition(REPOSITORY_ROOT).functions['stackWorkflow']?.memoryMb;
  if (memoryMb === undefined) throw new Error('serverless.yml declares no stackWorkflow function');
  const createHistory = await gw.history({ sfn: gw.sfn, arn: provisionExecutionArn(stack.id) });

  const deleteRequestedAt = Date.now();
  const deleting = await account.api.request<StackView>('DELETE', `/v1/stacks/${stack.id}`);
  const [deleted] = await gw.awaitStacks(() => account, [deleting], (s) => ({ sfn: gw.sfn, arn: deleteExecutionArn(s.id) }), 600_000);
  if (deleted?.status !== 'DELETE_COMPLETE') throw new Error(`the default stack ended ${deleted?.status ?? 'missing'} instead of DELETE_COMPLETE: ${deleted?.statusReason ?? ''}`);
  const deleteHistory = await gw.history({ sfn: gw.sfn, arn: deleteExecutionArn(stack.id) });

  const calls = (await gw.sandboxCalls(account.awsAccountId)).filter((call) => call.service === 'cloudformation' && groundworkStackOf(call.stackName)?.stackId === stack.id);
  const left = (await gw.sandboxStacks(account.awsAccountId)).filter((live) => groundworkStackOf(live.stackName)?.stackId === stack.id).map((live) => live.stackName);
  const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000 / gw.speed;
  return {
    create: cost(createHistory, calls.filter((call) => call.at < deleteRequestedAt), memoryMb, seconds(stack.createdAt, stack.updatedAt)),
    delete: cost(deleteHistory, calls.filter((call) => call.at >= deleteRequestedAt), memoryMb, seconds(deleting.updatedAt, deleted.updatedAt)),
    memoryMb,
    leftAfterDelete: left,
  };
}

export function orchestrationMet(result: OrchestrationCostResult): boolean {
  return result.create.transitions <= TRANSITIONS_TARGET && result.create.cloudFormationCalls <= CLOUDFORMATION_CALLS_TARGET && result.leftAfterDelete.length === 0;
}

const usd = (value: number) => `$${value.toFixed(6)}`;

export function orchestrationTable(result: OrchestrationCostResult): string[] {
  const row = (label: string, c: OperationCost) =>
    `| ${label} | ${c.transitions} (${c.retries} retries) | ${c.lambdaInvocations} | ${round(c.lambdaSeconds, 3)} | ${c.cloudFormationCalls} (${Object.entries(c.byAction)
      .sort()
      .map(([action, n]) => `${action} ${n}`)
      .join(', ')}) | ${usd(c.dollars.stepFunctions)} | ${usd(c.dollars.lambdaRequests)} | ${usd(c.dollars.lambdaDuration)} | **${usd(c.dollars.total)}** | ${round(c.seconds, 1)} |`;
  return [
    '| default stack | state transitions | Lambda invocations | Lambda s (here) | CloudFormation calls | Step Functions | Lambda requests | Lambda duration | total | took (AWS-equivalent s) |',
    '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    row('create', result.create),
    row('delete', result.delete),
  ];
}
