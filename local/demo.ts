import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createApiClient, type ApiClient } from '../cli/api-client';
import { loadOrCreateSigningKey } from './auth/local-signing-key';
import { endpoints, REGION, stateDirectory, statePaths } from './config';

/**
 * `npm run demo`: the main job end to end against the embedded default, as a newcomer would
 * see it — connect a sandbox customer account by launching the real onboarding template in it,
 * provision the default stack with a live view per component, show its outputs, reachability
 * and cost, watch a stack with a failing database roll back, delete the first stack, and
 * disconnect: delete the onboarding stack and see the account REVOKED once its access role is
 * refused (decision 0012). It
 * uses a running `npm start`, or starts one and stops it at the end. Any step that does not go
 * as shown exits non-zero.
 */
class DemoFailure extends Error {
  override name = 'DemoFailure';
}

const TERMINAL = new Set(['CREATE_COMPLETE', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_COMPLETE', 'DELETE_FAILED']);
const say = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Step {
  component: string;
  status: string;
  reason?: string;
  outputs?: Record<string, string>;
}
interface StackView {
  id: string;
  name: string;
  status: string;
  statusReason?: string;
  vpcCidr: string;
  steps: Step[];
  leftovers?: Array<{ cloudFormationStackName: string; reason: string }>;
}

async function apiIsUp(): Promise<boolean> {
  try {
    await fetch(`${endpoints.api}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** Uses a running `npm start`, or starts one (and stops it when the demo ends). */
async function ensureRunning(): Promise<ChildProcess | undefined> {
  if (await apiIsUp()) {
    say(`Using the Groundwork already running at ${endpoints.api}.`);
    return undefined;
  }
  say('Starting Groundwork (npm start)…');
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], { stdio: ['ignore', 'ignore', 'inherit'], env: process.env });
  const deadline = Date.now() + 90_000;
  while (!(await apiIsUp())) {
    if (child.exitCode !== null) throw new DemoFailure(`npm start exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new DemoFailure('Groundwork did not come up within 90 s');
    await sleep(300);
  }
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
}

/** Polls a stack to a terminal status, drawing one line per component as it changes. */
async function watch(api: ApiClient, stackId: string, label: string): Promise<StackView> {
  const seen = new Map<string, string>();
  const started = Date.now();
  for (;;) {
    const stack = await api.request<StackView>('GET', `/v1/stacks/${stackId}`);
    for (const step of stack.steps) {
      if (step.status === 'SKIPPED' && !seen.has(step.component)) {
        seen.set(step.component, step.status);
        continue;
      }
      if (seen.get(step.component) !== step.status) {
        seen.set(step.component, step.status);
        const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
        say(`  ${elapsed}s  ${label}  ${step.component.padEnd(10)} ${step.status}${step.reason && step.status === 'FAILED' ? ` — ${step.reason}` : ''}`);
      }
    }
    if (TERMINAL.has(stack.status)) {
      say(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s  ${label}  → ${stack.status}${stack.statusReason ? ` (${stack.statusReason})` : ''}`);
      return stack;
    }
    await sleep(250);
  }
}

async function sandboxStacks(account: string): Promise<string[]> {
  const response = await fetch(`${endpoints.edge}/_sandbox/stacks?account=${account}`);
  const body = (await response.json()) as unknown;
  const stacks = Array.isArray(body) ? body : ((body as { stacks?: unknown[] }).stacks ?? []);
  return stacks.map((s) => String((s as { stackName?: string; StackName?: string }).stackName ?? (s as { StackName?: string }).StackName));
}

async function setFaults(document: object | undefined): Promise<void> {
  const response = await fetch(`${endpoints.edge}/_sandbox/faults`, document ? { method: 'PUT', body: JSON.stringify(document) } : { method: 'DELETE' });
  if (!response.ok) throw new DemoFailure(`the sandbox refused the faults: ${await response.text()}`);
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new DemoFailure(message);
}

async function demo(): Promise<void> {
  const state = statePaths(stateDirectory());
  const tenant = `demo-${randomInt(1_000_000)}`;
  const token = await loadOrCreateSigningKey(state.signingKey).issueToken({ tenant });
  const api = createApiClient({ baseUrl: endpoints.api, token });
  const customer = String(randomInt(100_000_000_000, 999_999_999_999));

  say(`\n1. Connect the sandbox AWS account ${customer} (tenant ${tenant})`);
  const account = await api.request<{ id: string; externalId: string; onboarding: { stackName: string; parameters: Record<string, string> } }>('POST', '/v1/accounts', {
    body: { awsAccountId: customer, name: 'demo' },
  });
  say(`   Groundwork account ${account.id}, ExternalId ${account.externalId.slice(0, 8)}…`);
  // As the customer: the real onboarding template, launched with a plain CloudFormation client.
  const cloudFormation = new CloudFormationClient({ region: REGION, endpoint: endpoints.edge, credentials: { accessKeyId: customer, secretAccessKey: 'demo' } });
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: account.onboarding.stackName,
      // By URL, as the quick-create link does: the template is over the 51,200-byte TemplateBody limit.
      TemplateURL: endpoints.onboardingTemplate,
      Parameters: Object.entries(account.onboarding.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    }),
  );
  say(`   launched ${account.onboarding.stackName} in ${customer}; waiting for the registration…`);
  let connected: { status: string; statusReason?: string } = { status: 'AWAITING_CONNECTION' };
  for (const deadline = Date.now() + 120_000; Date.now() < deadline && connected.status === 'AWAITING_CONNECTION'; await sleep(300)) {
    connected = await api.request('GET', `/v1/accounts/${account.id}`);
  }
  const onboardingStack = (await cloudFormation.send(new DescribeStacksCommand({ StackName: account.onboarding.stackName }))).Stacks?.[0];
  expect(connected.status === 'CONNECTED', `the account ended ${connected.status}${connected.statusReason ? `: ${connected.statusReason}` : ''}`);
  say(`   ${account.onboarding.stackName}: ${onboardingStack?.StackStatus ?? '?'}; account CONNECTED`);

  say('\n2. Plan the default stack (it reads only what the region offers, through the access role)');
  const plan = await api.request<{
    network: { vpcCidr: string; availabilityZones?: Array<{ name: string; zoneId: string }> };
    regionCheck: { status: string };
    estimate: { total: number; natComparison: { savingsInstanceVsGateway: number } };
    reachability: { summary: string[]; violations: unknown[] };
  }>('POST', '/v1/plans', { body: { name: 'shop', accountId: account.id } });
  expect(plan.regionCheck.status === 'checked' && plan.network.availabilityZones !== undefined, `the plan was not checked against the region (${plan.regionCheck.status})`);
  say(`   VPC ${plan.network.vpcCidr} in ${(plan.network.availabilityZones ?? []).map((zone) => `${zone.name} (${zone.zoneId})`).join(', ')}`);
  say(`   about $${plan.estimate.total.toFixed(2)}/month (the NAT instance saves $${plan.estimate.natComparison.savingsInstanceVsGateway.toFixed(2)} over a NAT gateway)`);
  for (const line of plan.reachability.summary) say(`   · ${line}`);
  expect(plan.reachability.violations.length === 0, 'the plan breaks a network invariant');

  say('\n3. Create it');
  const created = await api.request<StackView>('POST', '/v1/stacks', { body: { name: 'shop', accountId: account.id }, headers: { 'idempotency-key': `demo-${tenant}-shop` } });
  const shop = await watch(api, created.id, 'shop');
  expect(shop.status === 'CREATE_COMPLETE', `shop ended ${shop.status}`);
  say('   outputs:');
  for (const step of shop.steps.filter((s) => s.outputs && Object.keys(s.outputs).length > 0)) {
    for (const [key, value] of Object.entries(step.outputs ?? {})) say(`     ${step.component}.${key} = ${value}`);
  }

  say('\n4. A stack whose database fails: watch it roll back');
  await setFaults({ createFailures: [{ resourceType: 'AWS::RDS::DBInstance', stackName: 'groundwork-*-database', reason: 'demo: the database could not be created' }], deleteFailures: [], throttle: 0 });
  try {
    const brokenCreated = await api.request<StackView>('POST', '/v1/stacks', { body: { name: 'broken', accountId: account.id } });
    const broken = await watch(api, brokenCreated.id, 'broken');
    expect(broken.status === 'ROLLBACK_COMPLETE', `broken ended ${broken.status}`);
    const left = (await sandboxStacks(customer)).filter((name) => name.startsWith(`groundwork-${broken.id}-`));
    expect(left.length === 0, `the rollback left ${left.join(', ')}`);
    say(`   nothing of ${broken.id} is left in ${customer}`);
  } finally {
    await setFaults(undefined);
  }

  say('\n5. Delete the first stack');
  await api.request('DELETE', `/v1/stacks/${shop.id}`);
  const deleted = await watch(api, shop.id, 'shop');
  expect(deleted.status === 'DELETE_COMPLETE', `shop ended ${deleted.status}`);
  const left = (await sandboxStacks(customer)).filter((name) => name.startsWith('groundwork-'));
  expect(left.length === 0, `the sandbox account still holds ${left.join(', ')}`);
  say(`   ${customer} holds no groundwork-* stack any more`);

  say('\n6. Disconnect: delete the onboarding stack');
  await cloudFormation.send(new DeleteStackCommand({ StackName: account.onboarding.stackName }));
  // Groundwork answers the Delete at once, then looks at the access role until STS refuses it.
  let disconnected: { status: string; statusReason?: string } = { status: 'CONNECTED' };
  for (const deadline = Date.now() + 120_000; Date.now() < deadline && disconnected.status === 'CONNECTED'; await sleep(300)) {
    disconnected = await api.request('GET', `/v1/accounts/${account.id}`);
  }
  expect(disconnected.status === 'REVOKED', `the account ended ${disconnected.status}${disconnected.statusReason ? `: ${disconnected.statusReason}` : ''}`);
  say(`   access role refused; account REVOKED — ${disconnected.statusReason ?? ''}`);
  say('\nDemo complete.');
}

const child = await ensureRunning().catch((error: unknown) => {
  say(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
try {
  await demo();
  process.exitCode = 0;
} catch (error) {
  say(`\ndemo failed: ${error instanceof Error ? `${error.name === 'DemoFailure' ? '' : `${error.name}: `}${error.message}` : String(error)}`);
  process.exitCode = 1;
} finally {
  await stop(child);
}
