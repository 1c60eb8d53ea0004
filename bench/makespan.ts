import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { componentsFor } from '../src/model/components';
import { stackRequestSchema, type StackRequestInput } from '../src/model/stack-request';
import { provisionExecutionArn, round, sleep, type BenchGroundwork, type ConnectedAccount, type ExecutionRef, type StackView } from './harness';
import { lowerBound, templatesFor, type LowerBound } from './lower-bound';
import { startSequentialWorkflow } from './sequential-workflow';

/**
 * Benchmark 1 (issue 6): provisioning makespan against its lower bound.
 *
 * For each representative option set, one stack is created through the real path — POST
 * /v1/stacks on the local API, the real provision-stack ASL on the local Step Functions, the
 * unchanged stackWorkflow handler, the sandbox account's CloudFormation taking the dated table's
 * time for every resource — and, at the same time, one stack of the same options through the
 * naive order (sequential-workflow.ts: the same branches and handler, one component after the
 * other). All ten run in one Groundwork, started a few seconds apart (see runMakespan), each in
 * its own sandbox account.
 *
 * Makespan: from the stack's createdAt (set when POST /v1/stacks is handled) to its updatedAt once
 * it is CREATE_COMPLETE (the workflow's last write, MarkCreateComplete), both written by
 * Groundwork; divided by the speed, that is AWS-equivalent seconds. The lower bound is
 * lower-bound.ts's, from the same table and the same templates (see there for its exact
 * definition). Target: makespan ≤ 1.05 × lower bound for every option set.
 *
 * Before measuring, one small stack is created and waited for (a warm-up: the sandbox's template
 * checks, DynamoDB Local's JIT, the SDK's first connections), so that the figures are those of a
 * service in use; the first invocation of a function is the cold-start benchmark's subject.
 */
export const MAKESPAN_TARGET = 1.05;

export interface OptionSet {
  label: string;
  request: Omit<StackRequestInput, 'accountId' | 'name'>;
}

export const OPTION_SETS: readonly OptionSet[] = [
  { label: 'default', request: {} },
  { label: 'nat gateway-per-az', request: { network: { nat: 'gateway-per-az' } } },
  { label: 'nat none + endpoints', request: { network: { nat: 'none', endpoints: true } } },
  { label: 'frontend apigateway', request: { frontend: { type: 'apigateway' } } },
  { label: 'with bastion', request: { bastion: { enabled: true, allowedCidr: '203.0.113.0/24' } } },
];

/** Real milliseconds between the starts of two real-workflow runs, and of two sequential ones (see runMakespan). */
const REAL_STAGGER_MS = 6_000;
const SEQUENTIAL_STAGGER_MS = 1_500;

/** A stack small enough to warm up on: network, NAT gateway, security groups. */
const WARM_UP: OptionSet['request'] = { network: { nat: 'gateway' }, compute: null, frontend: { type: 'none' }, database: null };

export interface MakespanRow {
  label: string;
  components: string[];
  bound: LowerBound;
  parallel: Measured;
  sequential: Measured;
}

export interface Measured {
  stack: StackView;
  execution: ExecutionRef;
  /** AWS-equivalent seconds. */
  seconds: number;
  ratio: number;
}

export interface MakespanResult {
  rows: MakespanRow[];
  speed: number;
  /** The default stack (created by the real workflow), for the orchestration-cost benchmark. */
  defaultStack: { stack: StackView; account: ConnectedAccount };
  /** Local milliseconds each workflow Task took (entered → exited), over the five real-workflow runs. */
  taskMs: number[];
}

export function makespanSeconds(stack: StackView, speed: number): number {
  return (Date.parse(stack.updatedAt) - Date.parse(stack.createdAt)) / 1000 / speed;
}

/** How long each Task state took, entered to exited, in local milliseconds. */
export function taskDurations(history: readonly HistoryEvent[]): number[] {
  const entered = new Map<string, number>();
  const durations: number[] = [];
  for (const event of history) {
    const at = event.timestamp?.getTime() ?? 0;
    if (event.type === 'TaskStateEntered' && event.stateEnteredEventDetails?.name) entered.set(event.stateEnteredEventDetails.name, at);
    const exited = event.type === 'TaskStateExited' ? event.stateExitedEventDetails?.name : undefined;
    const start = exited === undefined ? undefined : entered.get(exited);
    if (exited !== undefined && start !== undefined) {
      durations.push(at - start);
      entered.delete(exited);
    }
  }
  return durations;
}

export async function runMakespan(gw: BenchGroundwork, options: { log: (line: string) => void; onDefaultCreated?: (stack: StackView, account: ConnectedAccount) => Promise<void> }): Promise<MakespanResult> {
  const { log } = options;
  // One sandbox account per run, as each would be a customer's: stacks in one account share it
  // (the sandbox refuses two API Gateway `$default` stages in one account, for one).
  const accounts = await Promise.all(
    OPTION_SETS.flatMap((_, index) => [
      gw.connectAccount(`bench-makespan-${index}`, String(210_000_000_000 + index)),
      gw.connectAccount(`bench-sequential-${index}`, String(211_000_000_000 + index)),
    ]),
  );
  const accountOf = new Map<string, ConnectedAccount>();
  const warmUpAccount = accounts[0];
  if (!warmUpAccount) throw new Error('no account connected');
  log(`  makespan: ${accounts.length} accounts connected; warm-up stack…`);
  const warm = await gw.createStack(warmUpAccount, { name: 'warm-up', ...WARM_UP });
  const [warmed] = await gw.awaitStacks(() => warmUpAccount, [warm], (s) => ({ sfn: gw.sfn, arn: provisionExecutionArn(s.id) }), 120_000);
  if (warmed?.status !== 'CREATE_COMPLETE') throw new Error(`the warm-up stack ended ${warmed?.status ?? 'missing'}: ${warmed?.statusReason ?? ''}`);

  const sequential = await startSequentialWorkflow(gw.speed);
  try {
    log(`  makespan: ${OPTION_SETS.length} option sets × (real workflow, then the sequential variant)…`);
    // Started apart: everything local shares one Node.js thread, and starting an execution
    // blocks it for ~0.2 s (the local Step Functions validates the definition each time). Each
    // real-workflow run gets the first seconds of its critical chain (network, security,
    // secrets, the database's deploy) to itself; the sequential runs start once the last of those
    // is past that, and the real runs are then waiting on CloudFormation.
    const startAt = Date.now();
    const until = (offsetMs: number) => sleep(Math.max(0, startAt + offsetMs - Date.now()));
    const accountFor = (index: number, variant: 0 | 1): ConnectedAccount => {
      const account = accounts[2 * index + variant];
      if (!account) throw new Error(`no account for option set ${index}`);
      return account;
    };
    const [parallelStarted, sequentialStarted] = await Promise.all([
      Promise.all(
        OPTION_SETS.map(async (set, index) => {
          await until(index * REAL_STAGGER_MS);
          const stack = await gw.createStack(accountFor(index, 0), { name: `parallel-${index}`, ...set.request });
          accountOf.set(stack.id, accountFor(index, 0));
          return stack;
        }),
      ),
      Promise.all(
        OPTION_SETS.map(async (set, index) => {
          await until(OPTION_SETS.length * REAL_STAGGER_MS + index * SEQUENTIAL_STAGGER_MS);
          const stack = await sequential.create(accountFor(index, 1), { name: `sequential-${index}`, ...set.request });
          accountOf.set(stack.id, accountFor(index, 1));
          return stack;
        }),
      ),
    ]);
    const started = OPTION_SETS.map((set, index) => ({ set, parallel: parallelStarted[index] as StackView, naive: sequentialStarted[index] as StackView }));
    const parallelRef = (stack: StackView): ExecutionRef => ({ sfn: gw.sfn, arn: provisionExecutionArn(stack.id) });
    // The default stack goes on to the cost benchmark as soon as it is up; the others keep running.
    const owner = (stack: StackView) => accountOf.get(stack.id) as ConnectedAccount;
    const parallelDone = gw.awaitStacks(owner, started.map((s) => s.parallel), parallelRef, 600_000).then(async (stacks) => {
      const defaultStack = stacks[0];
      if (defaultStack && options.onDefaultCreated) await options.onDefaultCreated(defaultStack, owner(defaultStack));
      return stacks;
    });
    const sequentialDone = gw.awaitStacks(owner, started.map((s) => s.naive), (stack) => sequential.execution(stack.id), 900_000);
    const [parallelStacks, sequentialStacks] = await Promise.all([parallelDone, sequentialDone]);

    const rows: MakespanRow[] = [];
    const taskMs: number[] = [];
    for (const [index, { set }] of started.entries()) {
      const parallelStack = parallelStacks[index];
      const sequentialStack = sequentialStacks[index];
      if (!parallelStack || !sequentialStack) throw new Error(`no result for ${set.label}`);
      for (const stack of [parallelStack, sequentialStack]) {
        if (stack.status !== 'CREATE_COMPLETE') throw new Error(`${set.label}: ${stack.name} ended ${stack.status}: ${stack.statusReason ?? ''}`);
      }
      const bound = lowerBound(templatesFor(set.request));
      const measure = (stack: StackView, execution: ExecutionRef): Measured => {
        const seconds = makespanSeconds(stack, gw.speed);
        return { stack, execution, seconds, ratio: seconds / bound.seconds };
      };
      const parallel = measure(parallelStack, parallelRef(parallelStack));
      taskMs.push(...taskDurations(await gw.history(parallel.execution)));
      rows.push({
        label: set.label,
        components: componentsFor(stackRequestSchema.parse({ name: 'x-y-z', accountId: 'acc_bench000000000000000', ...set.request })),
        bound,
        parallel,
        sequential: measure(sequentialStack, sequential.execution(sequentialStack.id)),
      });
    }
    const first = rows[0];
    if (!first) throw new Error('no option set ran');
    return { rows, speed: gw.speed, defaultStack: { stack: first.parallel.stack, account: owner(first.parallel.stack) }, taskMs };
  } finally {
    await sequential.stop();
  }
}

export function makespanMet(result: MakespanResult): boolean {
  return result.rows.every((row) => row.parallel.ratio <= MAKESPAN_TARGET);
}

export function makespanTable(result: MakespanResult): string[] {
  return [
    '| option set | components | lower bound s (longest chain) | makespan s | makespan / bound | sequential s | sequential / bound | resource floor s |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...result.rows.map(
      (row) =>
        `| ${row.label} | ${row.components.length} | ${round(row.bound.seconds, 1)} (${row.bound.chain.join(' → ')}) | ${round(row.parallel.seconds, 1)} | **${row.parallel.ratio.toFixed(3)}** | ${round(row.sequential.seconds, 1)} | ${row.sequential.ratio.toFixed(3)} | ${round(row.bound.resourceFloorSeconds, 1)} |`,
    ),
  ];
}
