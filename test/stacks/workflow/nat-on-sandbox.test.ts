import { startSandboxEdge, type SandboxEdge } from '../../local/sandbox/sandbox-http';
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

const left = (stackId: string) => edge.sandbox.liveStacks(CUSTOMER).filter((stack) => stack.stackName.startsWith(`groundwork-${stackId}-`)).map((stack) => stack.stackName);

describe('the NAT instance signal, through the workflow, in a sandbox account', () => {
  it('builds the default stack, the cluster only after the NAT has signalled, and deletes it, leaving nothing', async () => {
    // Act
    const account = await h.connectedAccount();
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
    const account = await h.connectedAccount();
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
