import { ApiError, ApiUnreachableError } from '../cli/errors';
import { componentStackName, componentsFor } from '../src/model/components';
import { stackRequestSchema } from '../src/model/stack-request';
import { countTransitions } from './orchestration-cost';
import { groundworkStackOf, provisionExecutionArn, quantile, round, sleep, type BenchGroundwork, type ConnectedAccount, type StackView } from './harness';
import { lowerBound, templatesFor } from './lower-bound';
import { makespanSeconds } from './makespan';

/**
 * Benchmark 3 (issue 6): 200 default stacks across 50 sandbox accounts, started at once, with 20%
 * of CloudFormation calls throttled (the sandbox's `throttle(0.2)` fault: every fifth call is
 * answered `Throttling`, as CloudFormation answers "Rate exceeded").
 *
 * - The 50 accounts are connected through the real onboarding flow first (POST /v1/accounts,
 *   then the onboarding template launched in each sandbox account, until CONNECTED), before the
 *   throttle is switched on.
 * - The 200 POST /v1/stacks are sent back to back, each with an Idempotency-Key, at most
 *   IN_FLIGHT at a time: everything here — the API, every function, the Step Functions and the
 *   sandbox — shares one Node.js thread, so 200 requests in the same instant would each wait out
 *   the others and hit the API function's 10 s timeout, which AWS, running each invocation on its
 *   own, would not. A request that fails (5xx, no answer) is sent again with the same key, as a
 *   client should; the key makes that safe.
 * - Checked: every stack ends CREATE_COMPLETE; Groundwork holds exactly 4 stacks per tenant (none
 *   duplicated by a retry); the sandbox accounts hold exactly the component stacks those stacks
 *   need, each once, each CREATE_COMPLETE (none lost, none duplicated).
 * - Reported: throughput (stacks completed per minute, from the first POST to the last
 *   CREATE_COMPLETE, wall clock and AWS-equivalent) and the p50/p99 of each stack's makespan
 *   over the default stack's lower bound.
 */
export const SCALE = { stacks: 200, accounts: 50, throttle: 0.2, inFlight: 8 } as const;

export interface ScaleResult {
  stacks: number;
  accounts: number;
  complete: number;
  /** Groundwork stacks per tenant other than the expected 4 (duplicates or missing), by tenant. */
  groundworkMismatch: string[];
  /** Component stacks expected but absent from the sandbox, and present but not expected or not once. */
  missingComponentStacks: string[];
  unexpectedComponentStacks: string[];
  notComplete: string[];
  componentStacks: number;
  postRetries: number;
  submitSeconds: number;
  wallSeconds: number;
  speed: number;
  throughputPerMinute: number;
  ratios: { p50: number; p99: number; max: number; min: number };
  boundSeconds: number;
  cloudFormationCalls: number;
  throttled: number;
  stepFunctionsRetries: number;
  transitionsPerStack: number;
}

const REQUEST = {};

async function createWithRetries(account: ConnectedAccount, name: string, onRetry: () => void): Promise<StackView> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await account.api.request<StackView>('POST', '/v1/stacks', { body: { name, accountId: account.id, ...REQUEST }, headers: { 'idempotency-key': `bench-scale-${name}` } });
    } catch (error) {
      const retryable = error instanceof ApiUnreachableError || (error instanceof ApiError && error.status >= 500);
      if (!retryable || attempt >= 5) throw error;
      onRetry();
      await sleep(500 * attempt);
    }
  }
}

export async function runScale(gw: BenchGroundwork, options: { log: (line: string) => void }): Promise<ScaleResult> {
  const { log } = options;
  const perAccount = SCALE.stacks / SCALE.accounts;
  log(`  scale: connecting ${SCALE.accounts} sandbox accounts through the onboarding flow…`);
  const accounts = await Promise.all(
    Array.from({ length: SCALE.accounts }, (_, index) => gw.connectAccount(`bench-scale-${String(index).padStart(2, '0')}`, String(230_000_000_000 + index))),
  );
  const byAwsAccount = new Set(accounts.map((account) => account.awsAccountId));

  await gw.setFaults({ throttle: SCALE.throttle });
  try {
    log(`  scale: ${SCALE.stacks} stacks, ${SCALE.throttle * 100}% of CloudFormation calls throttled…`);
    const jobs = accounts.flatMap((account, a) => Array.from({ length: perAccount }, (_, s) => ({ account, name: `scale-${String(a).padStart(2, '0')}-${s}` })));
    const created: Array<{ account: ConnectedAccount; stack: StackView }> = [];
    let postRetries = 0;
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: SCALE.inFlight }, async () => {
        while (next < jobs.length) {
          const job = jobs[next];
          next += 1;
          if (!job) break;
          created.push({ account: job.account, stack: await createWithRetries(job.account, job.name, () => (postRetries += 1)) });
        }
      }),
    );
    const submitSeconds = (Date.now() - started) / 1000;
    const accountOf = new Map(created.map(({ account, stack }) => [stack.id, account]));
    const done = await gw.awaitStacks(
      (stack) => accountOf.get(stack.id) as ConnectedAccount,
      created.map(({ stack }) => stack),
      (stack) => ({ sfn: gw.sfn, arn: provisionExecutionArn(stack.id) }),
      600_000,
    );
    const lastComplete = Math.max(...done.map((stack) => Date.parse(stack.updatedAt)));
    const wallSeconds = (lastComplete - started) / 1000;

    // What Groundwork holds: exactly perAccount stacks per tenant.
    const groundworkMismatch: string[] = [];
    for (const account of accounts) {
      const listed = await account.api.request<{ items: StackView[] }>('GET', '/v1/stacks?limit=100');
      if (listed.items.length !== perAccount) groundworkMismatch.push(`${account.tenant}: ${listed.items.length}`);
    }
    // What the sandbox accounts hold: exactly the component stacks of these stacks, each once.
    const parsed = stackRequestSchema.parse({ name: 'x-y-z', accountId: 'acc_bench000000000000000', ...REQUEST });
    const expected = new Set(done.flatMap((stack) => componentsFor(parsed).map((component) => componentStackName(stack.id, component))));
    const live = (await gw.sandboxStacks()).filter((stack) => byAwsAccount.has(stack.account) && groundworkStackOf(stack.stackName) !== undefined);
    const seen = new Map<string, number>();
    for (const stack of live) seen.set(stack.stackName, (seen.get(stack.stackName) ?? 0) + 1);
    const missingComponentStacks = [...expected].filter((name) => !seen.has(name));
    const unexpectedComponentStacks = [...seen].filter(([name, count]) => !expected.has(name) || count !== 1).map(([name, count]) => `${name} ×${count}`);
    const notComplete = live.filter((stack) => stack.status !== 'CREATE_COMPLETE').map((stack) => `${stack.stackName} ${stack.status}`);

    const calls = (await gw.sandboxCalls()).filter((call) => call.service === 'cloudformation' && byAwsAccount.has(call.account) && call.at >= started);
    let stepFunctionsRetries = 0;
    let transitions = 0;
    for (const stack of done) {
      const counted = countTransitions(await gw.history({ sfn: gw.sfn, arn: provisionExecutionArn(stack.id) }));
      stepFunctionsRetries += counted.retries;
      transitions += counted.transitions;
    }
    const bound = lowerBound(templatesFor(REQUEST)).seconds;
    const ratios = done.map((stack) => makespanSeconds(stack, gw.speed) / bound);
    return {
      stacks: created.length,
      accounts: accounts.length,
      complete: done.filter((stack) => stack.status === 'CREATE_COMPLETE').length,
      groundworkMismatch,
      missingComponentStacks,
      unexpectedComponentStacks,
      notComplete,
      componentStacks: live.length,
      postRetries,
      submitSeconds,
      wallSeconds,
      speed: gw.speed,
      throughputPerMinute: done.length / (wallSeconds / 60),
      ratios: { p50: quantile(ratios, 0.5), p99: quantile(ratios, 0.99), max: Math.max(...ratios), min: Math.min(...ratios) },
      boundSeconds: bound,
      cloudFormationCalls: calls.length,
      throttled: calls.filter((call) => call.error === 'Throttling').length,
      stepFunctionsRetries,
      transitionsPerStack: transitions / done.length,
    };
  } finally {
    await gw.setFaults(undefined);
  }
}

export function scaleMet(result: ScaleResult): boolean {
  return (
    result.complete === SCALE.stacks &&
    result.stacks === SCALE.stacks &&
    result.groundworkMismatch.length === 0 &&
    result.missingComponentStacks.length === 0 &&
    result.unexpectedComponentStacks.length === 0 &&
    result.notComplete.length === 0
  );
}

export function scaleTable(result: ScaleResult): string[] {
  const list = (items: string[]) => (items.length === 0 ? 'none' : `${items.length}: ${items.slice(0, 5).join(', ')}${items.length > 5 ? ' …' : ''}`);
  return [
    '| measure | value |',
    '|---|---|',
    `| stacks / accounts | ${result.stacks} / ${result.accounts} (default options; ${result.postRetries} POSTs sent again with their Idempotency-Key) |`,
    `| CREATE_COMPLETE | **${result.complete} of ${result.stacks}** |`,
    `| Groundwork stacks per tenant ≠ ${SCALE.stacks / SCALE.accounts} | ${list(result.groundworkMismatch)} |`,
    `| component stacks in the sandbox | ${result.componentStacks}; missing ${list(result.missingComponentStacks)}; unexpected or duplicated ${list(result.unexpectedComponentStacks)}; not CREATE_COMPLETE ${list(result.notComplete)} |`,
    `| CloudFormation calls (throttled) | ${result.cloudFormationCalls} (${result.throttled}, ${round((100 * result.throttled) / Math.max(1, result.cloudFormationCalls), 1)}%) |`,
    `| Step Functions retries (all stacks) / transitions per stack | ${result.stepFunctionsRetries} / ${round(result.transitionsPerStack, 1)} |`,
    `| submitted in | ${round(result.submitSeconds, 1)} s wall |`,
    `| first POST → last CREATE_COMPLETE | ${round(result.wallSeconds, 1)} s wall = ${round(result.wallSeconds / result.speed / 60, 1)} AWS-equivalent minutes |`,
    `| throughput | **${round(result.throughputPerMinute, 1)} stacks/min wall**, ${round(result.throughputPerMinute * result.speed, 2)} stacks per AWS-equivalent minute |`,
    `| makespan / lower bound (${round(result.boundSeconds, 1)} s) | **p50 ${result.ratios.p50.toFixed(2)}, p99 ${result.ratios.p99.toFixed(2)}** (min ${result.ratios.min.toFixed(2)}, max ${result.ratios.max.toFixed(2)}) |`,
  ];
}
