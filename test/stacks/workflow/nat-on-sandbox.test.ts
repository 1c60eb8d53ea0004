import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import type { Account } from '../../../src/accounts/account';
import { startSandboxEdge, type SandboxEdge } from '../../local/sandbox/sandbox-http';
import { waitForStack } from '../../local/sandbox/stack-waits';
import { createWorkflowHarness, CUSTOMER, type Harness } from './workflow-harness';

/**
 * The provisioning and teardown workflow against a sandbox account (not the double), for what the
 * sandbox models and the double does not: the NAT instance's signal. The sandbox plays the NAT
 * instance (it signals once booted); a NAT that never signals fails the nat stack at its
 * CreationPolicy timeout, and the whole Groundwork stack rolls back leaving nothing.
 */

let edge: SandboxEdge;
let h: Harness;
const previousEndpoint = process.env['AWS_ENDPOINT_URL_CLOUDFORMATION'];

beforeAll(async () => {
  edge = await startSandboxEdge({ speed: 0.001 });
  process.env['AWS_ENDPOINT_URL_CLOUDFORMATION'] = edge.url;
  h = await createWorkflowHarness({ customerCloudFormation: 'endpoint' });
});
afterAll(async () => {
  await h.close();
  await edge.close();
  if (previousEndpoint === undefined) delete process.env['AWS_ENDPOINT_URL_CLOUDFORMATION'];
  else process.env['AWS_ENDPOINT_URL_CLOUDFORMATION'] = previousEndpoint;
});
afterEach(() => edge.sandbox.faults.clear());

/**
 * A connected account whose execution role exists in the sandbox account, as onboarding leaves it:
 * CloudFormation may assume it, and it may do what the stacks need (here: anything). CloudFormation
 * refuses a stack role the account does not hold.
 */
async function connectedAccount(): Promise<Account> {
  const account = await h.connectedAccount();
  const roleName = account.executionRoleArn?.split('/').at(-1) ?? '';
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  const template = { Resources: { Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: roleName, AssumeRolePolicyDocument: trust, Policies: [{ PolicyName: 'deploy', PolicyDocument: everything }] } } } };
  const stackName = `execution-${account.id.replace(/_/g, '-')}`;
  await edge.cloudFormation(CUSTOMER).send(new CreateStackCommand({ StackName: stackName, TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_NAMED_IAM'] }));
  expect((await waitForStack(edge.cloudFormation(CUSTOMER), stackName)).StackStatus).toBe('CREATE_COMPLETE');
  return account;
}

const left = (stackId: string) => edge.sandbox.liveStacks(CUSTOMER).filter((stack) => stack.stackName.startsWith(`groundwork-${stackId}-`)).map((stack) => stack.stackName);

describe('the NAT instance signal, through the workflow, in a sandbox account', () => {
  it('builds the default stack, the cluster only after the NAT has signalled, and deletes it, leaving nothing', async () => {
    // Act
    const account = await connectedAccount();
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    const built = await h.stacks.get(account.tenantId, created.id);

    // Assess
    expect(built.status).toBe('CREATE_COMPLETE');
    expect(Date.parse(built.steps.cluster.startedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(built.steps.nat.endedAt ?? ''));

    // Act: delete it.
    await h.stacks.delete(account.tenantId, created.id);
    await h.settle();
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('DELETE_COMPLETE');
    expect(left(created.id)).toEqual([]);
  });

  it('fails the nat component when its instance never signals, and rolls the whole stack back with nothing left', async () => {
    // Prepare: the NAT instance never gets egress, so it never signals.
    edge.sandbox.faults.failSignals('groundwork-*-nat', { signal: 'never' });

    // Act
    const account = await connectedAccount();
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    const stack = await h.stacks.get(account.tenantId, created.id);

    // Assess
    expect(stack.status).toBe('ROLLBACK_COMPLETE');
    expect(stack.statusReason).toMatch(/^nat: .*NatAutoScalingGroup0 \(AWS::AutoScaling::AutoScalingGroup\): Received 0 SUCCESS signal\(s\) out of 1\. {2}Unable to satisfy 100% MinSuccessfulInstancesPercent requirement/);
    // The cluster waits for the NAT: it was never built.
    expect(stack.steps.cluster.status).toBe('SKIPPED');
    for (const step of Object.values(stack.steps)) expect(['ROLLED_BACK', 'SKIPPED']).toContain(step.status);
    expect(stack.leftovers ?? []).toEqual([]);
    expect(left(created.id)).toEqual([]);
  });
});
