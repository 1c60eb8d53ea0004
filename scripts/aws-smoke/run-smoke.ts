import { DeleteLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { newAccountId, newExternalId, newRegistrationToken } from '../../src/accounts/onboarding-credentials';
import { createStsRoleProver } from '../../src/accounts/registration/prove-access-role';
import { estimateMonthlyCost, HOURS_PER_MONTH } from '../../src/cost/estimate-cost';
import { PRICE_TABLE } from '../../src/cost/price-table';
import { randomId } from '../../src/ids';
import { createLogger, type Logger } from '../../src/log/logger';
import type { StackPlan } from '../../src/plans/plan-stack';
import { newStackId } from '../../src/stacks/stack-service';
import { callerRole, SmokeRefusal, type CallerRole } from './caller-role';
import { ComponentStacks, fitDefaultStack, planDefaultStack, smokeAccount, smokeStack } from './component-stacks';
import { Onboarding, type OnboardingIdentity } from './onboarding';
import { Cleanup, messageOf, SmokeReport } from './smoke-report';
import type { SmokeRuntime } from './smoke-runtime';
import { CHECK_IMAGE, runTaskCheck, taskCheckInput } from './task-check';

/**
 * `npm run aws:smoke`: deploys Groundwork's default stack into a real AWS account the way
 * Groundwork would (onboarding template, registration answered, access role with the ExternalId,
 * the region read through it and the AZs chosen, component stacks through the execution role), checks from inside the stack what no test here
 * can (egress from the private subnets, the database from a task), deletes everything, and prints
 * what it verified. Never run in CI or by `npm test`. docs/real-aws.md lists what it checks.
 */
export const USAGE = `Usage: npm run aws:smoke -- --yes [--region <region>] [--endpoint-url <url>]

Deploys Groundwork's default stack into the AWS account of your current credentials, checks it
from inside, and deletes everything again (also on failure or Ctrl-C). It costs real money while
it runs. Without --yes it only prints what it would create and roughly what it costs.

  --yes                 create the resources (required)
  --region <region>     the region (default: AWS_REGION)
  --endpoint-url <url>  send every AWS call to this endpoint (e.g. the local sandbox, which answers
                        CloudFormation, STS and the EC2 and RDS region reads, but not S3, SNS's and
                        SQS's setup calls, ECS or CloudWatch Logs; see docs/real-aws.md)
  --help                this text

Credentials come from the standard SDK chain (AWS_PROFILE, environment, SSO …) and must be a
role session: the onboarding template trusts a role ARN. See docs/real-aws.md.`;

export interface SmokeOptions {
  yes: boolean;
  help: boolean;
  region?: string;
  endpoint?: string;
}

export function parseSmokeArgs(argv: readonly string[]): SmokeOptions {
  const options: SmokeOptions = { yes: false, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new SmokeRefusal(`${arg} needs a value.\n\n${USAGE}`);
      i += 1;
      return next;
    };
    if (arg === '--yes') options.yes = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--region') options.region = value();
    else if (arg === '--endpoint-url') options.endpoint = value();
    else throw new SmokeRefusal(`Unknown argument ${arg}.\n\n${USAGE}`);
  }
  return options;
}

/** The ids Groundwork would generate for the account and the stack, and this run's suffix. */
export interface SmokeIds extends OnboardingIdentity {
  stackId: string;
}

export function newSmokeIds(): SmokeIds {
  return { accountId: newAccountId(), externalId: newExternalId(), registrationToken: newRegistrationToken(), runId: randomId(8), stackId: newStackId() };
}

/** What the run creates, and roughly what it costs an hour, before anything is created. */
export function describeRun(plan: StackPlan, ids: SmokeIds): string[] {
  const noTraffic = { natGbPerMonth: 0, endpointGbPerMonth: 0, albLcuPerHour: 0, apiMillionRequestsPerMonth: 0, logsGbPerMonth: 0 };
  const estimate = estimateMonthlyCost(plan.request, noTraffic);
  const perHour = estimate.total / HOURS_PER_MONTH;
  const account = ids.accountId;
  return [
    `npm run aws:smoke would create, in ${plan.request.region}:`,
    `  - S3 bucket groundwork-aws-smoke-<account>-${ids.runId} holding cfn/onboarding-role.yaml (launched by TemplateURL);`,
    `  - SNS topic and SQS queue groundwork-aws-smoke-${ids.runId}: the registration's ServiceToken, answered by this script;`,
    `  - CloudFormation stack GroundworkSmokeOnboarding-${ids.runId} (the onboarding template): IAM roles GroundworkAccess-${account},`,
    `    GroundworkExecution-${account} (with its generated policies), GroundworkNatInstance-, GroundworkContainerInstance-,`,
    `    GroundworkBastion- and GroundworkTaskExecution-${account}, and three instance profiles;`,
    '  - the default stack (3 AZs, NAT instance, ALB, ECS on EC2, PostgreSQL, no bastion), one CloudFormation stack per component',
    '    (its AZs are chosen once the account is connected, from what the region offers, read through the access role):',
    ...plan.components.map((c) => `      ${c.stackName}: ${(c.template.Description ?? '').replace(/^[^:]*: /, '')}`),
    `  - a CloudWatch log group and an ECS task definition, and one task run of ${CHECK_IMAGE}.`,
    '',
    `Cost: about $${perHour.toFixed(2)} an hour while it exists (Groundwork's estimate for this stack with no traffic,`,
    `$${estimate.total.toFixed(2)} a month, ${PRICE_TABLE.region} prices of ${estimate.priceTableDate}${plan.request.region === PRICE_TABLE.region ? '' : `; ${plan.request.region} is often dearer`};`,
    'Container Insights, the scaling alarms and burst credits may add to it). A run takes about 40–60 minutes,',
    'most of it the database and the teardown.',
    'Everything is deleted at the end, also when a check fails or on Ctrl-C; anything that could not be deleted is named.',
  ];
}

export interface SmokeInputs {
  argv: readonly string[];
  env: { AWS_REGION?: string };
  /** The text of cfn/onboarding-role.yaml. */
  templateText: string;
  /** Builds the clients; called only once --yes was given, so a refusal touches no AWS API. */
  runtime: (region: string, options: SmokeOptions) => SmokeRuntime;
  out: (line: string) => void;
  ids?: SmokeIds;
  /** Shared with the entry point, which names what is still pending on a second Ctrl-C. */
  cleanup?: Cleanup;
  logger?: Logger;
}

/** Exit codes: 0 all verified and deleted; 1 a check failed or something is left; 2 refused (nothing created). */
export async function runSmoke(inputs: SmokeInputs): Promise<number> {
  const { out } = inputs;
  let options: SmokeOptions;
  try {
    options = parseSmokeArgs(inputs.argv);
  } catch (error) {
    out(error instanceof SmokeRefusal ? error.message : messageOf(error));
    return 2;
  }
  if (options.help) {
    out(USAGE);
    return 0;
  }
  const region = options.region ?? inputs.env.AWS_REGION;
  if (!region) {
    out('No region: set AWS_REGION (or pass --region). The stack is deployed there.');
    return 2;
  }
  const ids = inputs.ids ?? newSmokeIds();
  let plan: StackPlan;
  try {
    plan = planDefaultStack(region, ids.accountId, ids.stackId);
  } catch (error) {
    out(`Cannot plan the default stack for ${region}: ${messageOf(error)}`);
    return 2;
  }
  describeRun(plan, ids).forEach((line) => out(line));
  if (!options.yes) {
    out('');
    out('Nothing was created. Run `npm run aws:smoke -- --yes` to do it.');
    return 2;
  }

  const runtime = inputs.runtime(region, options);
  const logger = inputs.logger ?? createLogger({ level: 'warn', fields: { service: 'aws-smoke' }, write: (line) => process.stderr.write(`${line}\n`) });
  const report = new SmokeReport({ now: runtime.now }, runtime.out);
  const cleanup = inputs.cleanup ?? new Cleanup();

  let caller: CallerRole;
  try {
    caller = await callerRole(runtime.clients.sts, runtime.clients.iam, out);
  } catch (error) {
    out(error instanceof SmokeRefusal ? error.message : `Could not tell who you are (sts:GetCallerIdentity): ${messageOf(error)}`);
    return 2;
  }
  out(`Running as ${caller.sessionArn}; it plays Groundwork's service role ${caller.roleArn} in account ${caller.account}.`);

  let stoppedBy: unknown;
  let clusterStep: { cloudFormationStackName: string; cloudFormationStackId?: string } | undefined;
  try {
    // Groundwork's own proof. ROLE_PROPAGATION_RETRY_SECONDS defaults to 30; 45 here, still inside
    // the 55 s decideOnce gives a decision (the worker's 60 s less ANSWER_RESERVE_MS).
    const prover = createStsRoleProver(runtime.clients.sts, { propagationRetryMs: 45_000, retryIntervalMs: 2_000 }, runtime.now);
    const onboarding = new Onboarding(runtime, caller, ids, prover, logger);
    const onboarded = await onboarding.run(report, cleanup, inputs.templateText);
    const at = new Date(runtime.now()).toISOString();
    const account = smokeAccount(ids, onboarded, caller.account, region, at);
    const fitted = await report.step(`read what ${region} offers through the access role, and choose the stack's AZs`, (note) => fitDefaultStack(runtime, plan, account, ids.stackId, note));
    const stack = smokeStack(fitted, ids.stackId, ids, at);
    const components = new ComponentStacks(runtime, fitted, stack, account, logger);
    onboarding.keepWhileUsedBy(() => components.left());
    clusterStep = stack.steps.cluster;
    await components.deploy(report, cleanup);
    await runTaskCheck(runtime, report, cleanup, taskCheckInput(ids.runId, components, account));
  } catch (error) {
    stoppedBy = error;
    out(runtime.signal.aborted ? 'Interrupted: deleting everything this run created…' : `Stopped: ${messageOf(error)}. Deleting everything this run created…`);
  } finally {
    await cleanup.runAll(report);
    if (clusterStep?.cloudFormationStackId) await containerInsightsLeftovers(runtime, report, clusterStep.cloudFormationStackName);
  }
  if (stoppedBy !== undefined && !report.steps.some((step) => step.status === 'failed')) {
    report.steps.push({ title: 'the run', status: 'failed', seconds: 0, details: [runtime.signal.aborted ? 'interrupted (Ctrl-C)' : messageOf(stoppedBy)] });
  }
  report.summary().forEach((line) => out(line));
  return report.failed || stoppedBy !== undefined ? 1 : 0;
}

/**
 * The cluster stack makes Container Insights' log group itself, before the cluster, so that ECS
 * never makes one the stack would not delete (src/templates/cluster.ts). Checked after teardown;
 * a group left anyway is deleted and reported.
 */
async function containerInsightsLeftovers(runtime: SmokeRuntime, report: SmokeReport, clusterName: string): Promise<void> {
  const prefix = `/aws/ecs/containerinsights/${clusterName}/`;
  try {
    await report.step(`no Container Insights log group left under ${prefix}`, async (note) => {
      const found = await runtime.clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }));
      const left = (found.logGroups ?? []).flatMap((g) => (g.logGroupName ? [g.logGroupName] : []));
      for (const name of left) {
        await runtime.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: name })).catch((error: unknown) => report.leftover(`CloudWatch log group ${name} (${runtime.region}): ${messageOf(error)}`));
      }
      if (left.length > 0) throw new Error(`the cluster's teardown left ${left.join(', ')} (this script deleted what it could)`);
      note('none');
    });
  } catch {
    // Recorded as a failed step; the group itself was deleted.
  }
}
