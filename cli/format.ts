import type { AccountView } from '../src/accounts/account';
import type { CreatedAccount } from '../src/accounts/account-service';
import type { StackPlan } from '../src/plans/plan-stack';
import { COMPONENTS } from '../src/model/components';
import type { StackView } from '../src/stacks/stack-service';
import { ApiError, ApiUnreachableError, CliError, StackFailedError, UsageError } from './errors';

/** Human output of the CLI: plain functions from API answers to text. */
type StepView = StackView['steps'][number];

/** Left-aligned columns, two spaces apart; trailing blanks trimmed. */
export function table(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd()).join('\n');
}

export function formatDuration(ms: number): string {
  if (ms < 0) return '';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

const usd = (amount: number) => `$${amount.toFixed(2)}`;
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

export const TERMINAL_STACK_STATUSES = ['CREATE_COMPLETE', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_COMPLETE', 'DELETE_FAILED'] as const;
export const FAILED_STACK_STATUSES = ['ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_FAILED'] as const;

export function isTerminal(status: string): boolean {
  return (TERMINAL_STACK_STATUSES as readonly string[]).includes(status);
}

export function isFailed(status: string): boolean {
  return (FAILED_STACK_STATUSES as readonly string[]).includes(status);
}

const STEP_MARKS: Record<string, string> = {
  PENDING: '·',
  IN_PROGRESS: '…',
  COMPLETE: '✓',
  FAILED: '✗',
  ROLLING_BACK: '↺',
  ROLLED_BACK: '↩',
  SKIPPED: '-',
};

/** The regions Groundwork may deploy to in the account; none recorded: its template predates them. */
function regionsOf(account: AccountView): string {
  return account.regions?.join(', ') ?? 'any (onboarding template from before regions)';
}

export function formatCreatedAccount(account: CreatedAccount): string {
  const { onboarding } = account;
  return [
    `Account ${account.id} (${account.name}) for AWS account ${account.awsAccountId}: ${account.status}`,
    '',
    table([
      ['External ID', account.externalId],
      ['Regions', regionsOf(account)],
      ['Registration token', `${onboarding.registrationToken}  (shown once; expires ${onboarding.registrationTokenExpiresAt})`],
      ['Template', onboarding.templateUrl],
      ['Stack name', `${onboarding.stackName} (region ${onboarding.region})`],
    ]),
    '',
    'Launch parameters:',
    ...Object.entries(onboarding.parameters).map(([name, value]) => `  ${name}=${value}`),
    '',
    `Quick-create link: ${onboarding.quickCreateUrl}`,
    '',
    `Next: launch the template in AWS account ${account.awsAccountId} with these parameters, then \`groundwork accounts get ${account.id}\` until it is CONNECTED.`,
  ].join('\n');
}

export function formatAccount(account: AccountView): string {
  const rows: string[][] = [
    ['Status', account.status + (account.statusReason ? ` — ${account.statusReason}` : '')],
    ['AWS account', account.awsAccountId],
    ['Regions', regionsOf(account)],
    ['External ID', account.externalId],
  ];
  if (account.accessRoleArn) rows.push(['Access role', account.accessRoleArn]);
  if (account.executionRoleArn) rows.push(['Execution role', account.executionRoleArn]);
  if (account.connectedAt) rows.push(['Connected', account.connectedAt]);
  else if (account.status === 'AWAITING_CONNECTION') rows.push(['Token expires', account.registrationTokenExpiresAt]);
  rows.push(['Created', account.createdAt]);
  return `Account ${account.id} (${account.name})\n${table(rows.map(([k, v]) => [`  ${k ?? ''}`, v ?? '']))}`;
}

export function formatAccountList(accounts: readonly AccountView[]): string {
  if (accounts.length === 0) return 'No accounts yet. Connect one with `groundwork accounts create --aws-account-id <12 digits>`.';
  return table([
    ['ID', 'NAME', 'AWS ACCOUNT', 'STATUS', 'CREATED'],
    ...accounts.map((a) => [a.id, a.name, a.awsAccountId, a.status, a.createdAt]),
  ]);
}

function stepTime(step: StepView, now: Date): string {
  if (!step.startedAt) return '';
  const end = step.endedAt ? Date.parse(step.endedAt) : now.getTime();
  return formatDuration(end - Date.parse(step.startedAt));
}

/** The components in dependency order (network first), whatever order the API lists them in. */
export function inComponentOrder(steps: readonly StepView[]): StepView[] {
  const rank = (step: StepView) => {
    const index = (COMPONENTS as readonly string[]).indexOf(step.component);
    return index === -1 ? COMPONENTS.length : index;
  };
  return [...steps].sort((a, b) => rank(a) - rank(b));
}

/** One line per component: mark, name, status, time, reason. */
export function formatSteps(steps: readonly StepView[], now = new Date()): string {
  return table(inComponentOrder(steps).map((step) => [`  ${STEP_MARKS[step.status] ?? '?'}`, step.component, step.status, stepTime(step, now), step.reason ?? '']));
}

export function formatStack(stack: StackView, now = new Date()): string {
  const lines = [
    `Stack ${stack.id} (${stack.name}): ${stack.status}${stack.statusReason ? ` — ${stack.statusReason}` : ''}`,
    table([
      ['  Account', stack.accountId],
      ['  Region', stack.region],
      ['  VPC', stack.vpcCidr],
      ['  Created', stack.createdAt],
      ['  Updated', stack.updatedAt],
    ]),
    '',
    'Components:',
    formatSteps(stack.steps, now),
  ];
  // Only what exists: a rolled-back or deleted component's outputs name nothing any more.
  const outputs = inComponentOrder(stack.steps)
    .filter((step) => step.status === 'COMPLETE' && !stack.status.startsWith('DELETE_'))
    .flatMap((step) => Object.entries(step.outputs ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => [`  ${step.component}`, key, value]));
  if (outputs.length > 0) lines.push('', 'Outputs:', table(outputs));
  if (stack.leftovers && stack.leftovers.length > 0) {
    lines.push('', 'Left behind (delete these by hand or retry the delete):', table(stack.leftovers.map((l) => [`  ${l.component}`, l.cloudFormationStackName, l.reason])));
  }
  return lines.join('\n');
}

export function formatStackList(stacks: readonly StackView[]): string {
  if (stacks.length === 0) return 'No stacks yet. Create one with `groundwork stacks create --account <acc_…> --name <name>`.';
  return table([
    ['ID', 'NAME', 'STATUS', 'VPC', 'ACCOUNT', 'CREATED'],
    ...stacks.map((s) => [s.id, s.name, s.status, s.vpcCidr, s.accountId, s.createdAt]),
  ]);
}

export interface StackEventView {
  type: string;
  status: string;
  step?: string;
  previousStatus?: string;
  reason?: string;
  occurredAt: string;
}

export function formatStackEvents(events: readonly StackEventView[]): string {
  if (events.length === 0) return 'No events.';
  return table(events.map((e) => [e.occurredAt, e.step ?? 'stack', `${e.previousStatus ? `${e.previousStatus} → ` : ''}${e.status}`, e.reason ?? '']));
}

/** The watch display: the stack's status and every component's progress. */
export function formatProgress(stack: StackView, now = new Date()): string {
  const elapsed = formatDuration(now.getTime() - Date.parse(stack.createdAt));
  return `${stack.id} ${stack.name}: ${stack.status}${stack.statusReason ? ` — ${stack.statusReason}` : ''}  (${elapsed})\n${formatSteps(stack.steps, now)}`;
}

/** What changed between two polls, one line each, for logs and non-terminal output. */
export function progressChanges(previous: StackView | undefined, current: StackView, now = new Date()): string[] {
  const time = now.toISOString().slice(11, 19);
  const lines: string[] = [];
  const stackLine = `${time}  stack      ${current.status}${current.statusReason ? ` — ${current.statusReason}` : ''}`;
  // A new operation is announced before its steps move; its end after them.
  const stackChanged = previous?.status !== current.status;
  if (stackChanged && !isTerminal(current.status)) lines.push(stackLine);
  for (const step of inComponentOrder(current.steps)) {
    const before = previous?.steps.find((s) => s.component === step.component);
    if (before?.status === step.status) continue;
    // The stack line already says why; a step repeats its reason only when it differs.
    const reason = step.reason && !current.statusReason?.includes(step.reason) ? ` — ${step.reason}` : '';
    lines.push(`${time}  ${step.component.padEnd(9)}  ${step.status}${reason}`);
  }
  if (stackChanged && isTerminal(current.status)) lines.push(stackLine);
  return lines;
}

export function formatPlan(plan: StackPlan): string {
  const byTier = new Map<string, string[]>();
  for (const subnet of plan.network.subnets) byTier.set(subnet.tier, [...(byTier.get(subnet.tier) ?? []), subnet.cidr]);
  const zones = plan.network.availabilityZones;
  const lines = [
    `Plan for ${plan.request.name} in ${plan.request.region} (account ${plan.request.accountId})`,
    '',
    `VPC ${plan.network.vpcCidr} over ${plan.network.azCount} AZs${zones ? `: ${zones.map((zone) => `${zone.name} (${zone.zoneId})`).join(', ')}` : ''}`,
    table([...byTier].map(([tier, cidrs]) => [`  ${tier}`, cidrs.join(', ')])),
    ...(plan.regionCheck?.status === 'skipped' ? ['', `Not checked against the region: ${plan.regionCheck.reason}`] : []),
    '',
    'Components (each its own CloudFormation stack):',
    table(plan.components.map((c) => [`  ${c.component}`, c.dependsOn.length > 0 ? `after ${c.dependsOn.join(', ')}` : 'first', plural(Object.keys(c.template.Resources ?? {}).length, 'resource')])),
    '',
    `Monthly cost estimate: ${usd(plan.estimate.total)} ${plan.estimate.currency} (prices of ${plan.estimate.priceTableDate})`,
    table(plan.estimate.components.map((c) => [`  ${c.component}`, usd(c.monthly)])),
    `  NAT: instance ${usd(plan.estimate.natComparison.instance)}, one gateway ${usd(plan.estimate.natComparison.gateway)}, a gateway per AZ ${usd(plan.estimate.natComparison.gatewayPerAz)}, none (interface endpoints instead) ${usd(plan.estimate.natComparison.none)}`,
    '',
    'Reachability:',
    ...plan.reachability.summary.map((line) => `  ${line}`),
  ];
  if (plan.reachability.violations.length > 0) {
    lines.push('', 'Security invariants broken:', ...plan.reachability.violations.map((v) => `  ✗ ${v.invariant}: ${v.message}`));
  } else {
    lines.push('  ✓ every security invariant holds');
  }
  return lines.join('\n');
}

const UNAUTHORIZED_HINT =
  'The API refused the token. Locally, tokens come from .groundwork/jwt-signing-key.json: make sure `npm start` runs from the same checkout, or pass --token.';

/** A CLI error as the user should read it. */
export function formatError(error: unknown, apiUrl: string): string {
  if (error instanceof ApiError) {
    const problem = error.problem;
    const title = problem?.title ?? problem?.message ?? '';
    const head = `error: ${error.status}${title ? ` ${title}` : ''}${problem?.detail ? ` — ${problem.detail}` : ''}`;
    const fields = (problem?.errors ?? []).map((e) => `  ${e.field}: ${e.message}`);
    const hint = error.status === 401 ? [UNAUTHORIZED_HINT] : !problem && error.rawBody ? [error.rawBody.slice(0, 500)] : [];
    return [head, ...fields, ...hint].join('\n');
  }
  if (error instanceof UsageError) return `error: ${error.message}\n(see \`groundwork help\`)`;
  if (error instanceof StackFailedError) return `error: ${error.message}`;
  if (error instanceof ApiUnreachableError) {
    const local = /^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(apiUrl);
    return `error: ${error.message}${local ? ' — is `npm start` running?' : ''}`;
  }
  if (error instanceof CliError) return `error: ${error.message}`;
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}
