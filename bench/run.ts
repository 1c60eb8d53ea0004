// First: it picks the free ports and the temporary state directory before local/config.ts loads.
import { BENCH_STATE_ROOT } from './local-environment';
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { BUNDLE_TARGET_KB, INIT_TARGET_MS, measureColdStarts } from './cold-start';
import { median, round, startBenchGroundwork, type BenchGroundwork } from './harness';
import { makespanMet, makespanTable, MAKESPAN_TARGET, runMakespan, type MakespanResult } from './makespan';
import { CLOUDFORMATION_CALLS_TARGET, measureOrchestrationCost, orchestrationMet, orchestrationTable, PRICES, TRANSITIONS_TARGET, type OrchestrationCostResult } from './orchestration-cost';
import { runScale, SCALE, scaleMet, scaleTable } from './scale';

/**
 * `npm run bench`: runs the benchmarks in one go and writes bench/RESULTS.md with the date and
 * the machine. Figures are measured in this run, never typed in. `npm run bench -- provisioning`
 * (or `cold-start`, `scale`) runs only those and prints the results without writing the file.
 */
const started = Date.now();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const sections: string[] = [];
const only = process.argv.slice(2);
const runs = (name: string) => only.length === 0 || only.includes(name);
const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The sandbox's speed for the provisioning benchmarks: AWS's durations × 0.1, so a default stack's
 * ~9 minutes take ~53 s and the whole run fits in ten minutes. The workflow's steps are not scaled
 * (a Lambda invocation, a few DynamoDB writes, an AWS call on this machine): RESULTS.md reports what
 * one took here, and what that stands for in AWS time at this speed.
 */
const SPEED = 0.1;

if (runs('cold-start')) {
  log('bench: cold start (serverless package, then fresh-process imports)…');
  const cold = measureColdStarts();
  const coldOk = cold.every((row) => row.bundleKb <= BUNDLE_TARGET_KB && row.initMsMedian <= INIT_TARGET_MS);
  sections.push(
    [
      `## Cold start ${coldOk ? '(targets met)' : '(targets NOT met)'}`,
      '',
      `Targets: bundle ≤ ${BUNDLE_TARGET_KB} KB minified; module initialisation ≤ ${INIT_TARGET_MS} ms median (fresh Node process importing the bundle, ${cold[0]?.initMsRuns.length ?? 0} runs).`,
      '',
      '| function | bundle KB | zip KB | init ms (median) | bundle/target | init/target | runs (ms) |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...cold.map(
        (r) =>
          `| ${r.fn} | ${r.bundleKb} | ${r.zipKb} | ${r.initMsMedian} | ${(r.bundleKb / BUNDLE_TARGET_KB).toFixed(2)} | ${(r.initMsMedian / INIT_TARGET_MS).toFixed(2)} | ${r.initMsRuns.join(', ')} |`,
      ),
    ].join('\n'),
  );
}

let gw: BenchGroundwork | undefined;
const stopAll = async () => {
  await gw?.stop();
  gw = undefined;
};
process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
process.once('SIGTERM', () => void stopAll().finally(() => process.exit(143)));

try {
  if (runs('provisioning') || runs('scale')) {
    log(`bench: starting Groundwork on 127.0.0.1 (edge ${process.env['GROUNDWORK_EDGE_PORT']}, speed ${SPEED}, state in ${BENCH_STATE_ROOT})…`);
    gw = await startBenchGroundwork({ speed: SPEED, label: 'groundwork', log });
  }

  if (gw && runs('provisioning')) {
    const running = gw;
    log('bench: provisioning makespan and orchestration cost…');
    let cost: Promise<OrchestrationCostResult> | undefined;
    const makespan: MakespanResult = await runMakespan(running, {
      log,
      // The default stack is counted, then deleted (and counted), while the sequential runs go on.
      onDefaultCreated: async (stack, account) => {
        cost = measureOrchestrationCost(running, stack, account);
        cost.catch(() => undefined);
      },
    });
    if (!cost) throw new Error('the default stack was never handed to the cost benchmark');
    const orchestration = await cost;
    sections.push(...provisioningSections(makespan, orchestration));
  }

  if (gw && runs('scale')) {
    log('bench: scale…');
    const scale = await runScale(gw, { log });
    const met = scaleMet(scale);
    sections.push(
      [
        `## 3. Scale: ${SCALE.stacks} stacks, ${SCALE.accounts} accounts, ${SCALE.throttle * 100}% of CloudFormation calls throttled ${met ? '(target met: every stack CREATE_COMPLETE, none lost or duplicated)' : '(target NOT met)'}`,
        '',
        ...scaleTable(scale),
        '',
        `Accounts were connected through the real onboarding flow (the onboarding template launched in each sandbox account, then the registration callback), not seeded. ` +
          `The stacks were POSTed back to back, at most ${SCALE.inFlight} in flight (see bench/scale.ts for why), at speed ${scale.speed}. ` +
          `Everything here (API, functions, Step Functions, sandbox) shares one Node.js thread, with DynamoDB Local on the other core, so the throughput and the ratios measure this machine's emulation, not AWS: ` +
          `in AWS each invocation runs on its own and throttling is absorbed by the SDK's and the state machine's retries with backoff, as it was here.`,
      ].join('\n'),
    );
  }
} finally {
  await stopAll();
  rmSync(BENCH_STATE_ROOT, { recursive: true, force: true });
}

function provisioningSections(makespan: MakespanResult, orchestration: OrchestrationCostResult): string[] {
  const met = makespanMet(makespan);
  const stepMs = median(makespan.taskMs);
  const worst = makespan.rows.reduce((a, b) => (b.parallel.ratio > a.parallel.ratio ? b : a));
  const costMet = orchestrationMet(orchestration);
  const create = orchestration.create;
  return [
    [
      `## 1. Provisioning makespan vs the lower bound ${met ? '(target met)' : '(target NOT met)'}`,
      '',
      `Target: makespan ≤ ${MAKESPAN_TARGET} × the lower bound for every option set. ${met ? 'Met' : 'Not met'}: the worst is ${worst.label} at ${worst.parallel.ratio.toFixed(3)}.`,
      `Seconds are AWS-equivalent (this run's wall time ÷ the speed, ${makespan.speed}).`,
      '',
      ...makespanTable(makespan),
      '',
      '- **Lower bound** (bench/lower-bound.ts): each component weighs the critical path of its own template through the dated table the sandbox runs on ' +
        '(`criticalPathSeconds`, src/cfn/resource-graph.ts over src/cfn/resource-timing.ts); a component starts once every component it needs is complete ' +
        '(COMPONENT_DEPENDENCIES and the components whose outputs feed its parameters); the bound is the longest such chain. Nothing is typed in.',
      '- **Makespan**: the stack\'s `createdAt` (POST /v1/stacks) to its `updatedAt` at CREATE_COMPLETE, both written by Groundwork, run through the real ASL on the local Step Functions, the unchanged handlers and the sandbox accounts. ' +
        'A small warm-up stack ran first (see bench/makespan.ts).',
      '- **Sequential**: run for real in the same run (bench/sequential-workflow.ts): the same state machine with the component graph replaced by one chain, the same branches, waits and handler.',
      '- **Resource floor** (context, no target): the longest chain of resources across all components as if they were one template; one CloudFormation stack per component cannot go below the lower bound, and the difference is what that design costs.',
      `- **Speed ${makespan.speed}**: a workflow step (a Task state: Lambda invocation, DynamoDB reads and writes, one AWS call) took ${round(stepMs, 0)} ms here (median of ${makespan.taskMs.length}), ` +
        `which stands for ${round(stepMs / makespan.speed / 1000, 2)} s of AWS time at this speed. In AWS such a step takes tens to hundreds of milliseconds against CloudFormation's minutes, ` +
        'so at this speed the steps weigh as much as in AWS or more: the ratios above are if anything pessimistic. A faster speed (0.01, the default) would make each step weigh ten times more than in AWS.',
    ].join('\n'),
    [
      `## 2. Orchestration cost per default stack ${costMet ? '(targets met)' : '(targets NOT met)'}`,
      '',
      `Targets for a create: ≤ ${TRANSITIONS_TARGET} state transitions (${create.transitions}: ${create.transitions <= TRANSITIONS_TARGET ? 'met' : 'NOT met'}) and ≤ ${CLOUDFORMATION_CALLS_TARGET} CloudFormation calls (${create.cloudFormationCalls}: ${create.cloudFormationCalls <= CLOUDFORMATION_CALLS_TARGET ? 'met' : 'NOT met'}).` +
        ` After the delete the sandbox account holds ${orchestration.leftAfterDelete.length === 0 ? 'none of its component stacks' : orchestration.leftAfterDelete.join(', ')}.`,
      '',
      ...orchestrationTable(orchestration),
      '',
      `- Counted from logs of this run: transitions and invocations from the execution's GetExecutionHistory (each state entered, plus each Task retry), CloudFormation calls from the sandbox's request log (GET /_sandbox/calls) by component stack name. ` +
        'STS AssumeRole is not per stack: the workflow function caches the customer credentials per role for a warm container.',
      `- Prices (us-east-1, read ${PRICES.asOf}): Step Functions Standard $0.025 per 1,000 state transitions (aws.amazon.com/step-functions/pricing); Lambda $0.20 per million requests and $0.0000133334 per GB-s on arm64 (aws.amazon.com/lambda/pricing), at stackWorkflow's ${orchestration.memoryMb} MB. Free tiers left out.`,
      '- Lambda duration is each Task state\'s time on this machine. In AWS the same calls take longer (CreateStack, DescribeStacks and DynamoDB over the network): even at ten times these durations the duration cost stays a small share of the total, which transitions dominate.',
      '- Not included: DynamoDB writes and EventBridge events (the stack\'s status events), and CloudWatch Logs.',
    ].join('\n'),
  ];
}

const complete = only.length === 0;
const report = [
  '# Benchmark results',
  '',
  `Run on ${new Date().toISOString()} — ${machine}. Took ${Math.round((Date.now() - started) / 1000)} s.`,
  '',
  ...sections.flatMap((section) => [section, '']),
].join('\n');
if (complete) writeFileSync('bench/RESULTS.md', report);
console.log(report);
