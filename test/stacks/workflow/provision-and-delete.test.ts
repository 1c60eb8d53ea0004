import { componentsFor } from '../../../src/model/components';
import { eventDetailErrors } from '../../support/event-schemas';
import { createWorkflowHarness, type Harness } from './workflow-harness';

let h: Harness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => h.close());
afterEach(() => h.double.clearFaults());

const liveOf = (stackId: string) => h.double.liveStackNames().filter((name) => name.startsWith(`groundwork-${stackId}-`)).sort();

describe('provisioning and teardown through the real state machines', () => {
  it('builds the default stack component by component, then deletes it leaving nothing', async () => {
    // Prepare
    const account = await h.connectedAccount();
    const request = h.request(account);

    // Act
    const created = await h.stacks.create(account.tenantId, request);
    await h.settle();

    // Assess: complete, every component a CloudFormation stack with its outputs
    const stack = await h.stacks.get(account.tenantId, created.id);
    expect([stack.status, stack.statusReason]).toEqual(['CREATE_COMPLETE', undefined]);
    const components = componentsFor(request);
    expect(liveOf(stack.id)).toEqual(components.map((c) => `groundwork-${stack.id}-${c}`).sort());
    for (const component of components) {
      expect(stack.steps[component]).toMatchObject({ status: 'COMPLETE', startedAt: expect.any(String), endedAt: expect.any(String) });
      expect(Object.keys(stack.steps[component].outputs ?? {}).length).toBeGreaterThan(0);
    }
    expect(stack.steps.bastion.status).toBe('SKIPPED');
    // Components were deployed with the customer's execution role and our tags.
    const deployed = h.double.allStacks().filter((s) => s.stackName.startsWith(`groundwork-${stack.id}-`));
    for (const s of deployed) {
      expect(s.roleArn).toBe(account.executionRoleArn);
      expect(s.tags['groundwork:stack']).toBe(stack.id);
    }
    // The network stack's subnets go in the AZs chosen at creation and recorded on the stack.
    expect(stack.network.availabilityZones?.map((zone) => zone.name)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const network = deployed.find((s) => s.stackName.endsWith('-network'));
    expect([0, 1, 2].map((azIndex) => network?.parameters[`AvailabilityZone${azIndex}`])).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);

    // Act: tear down
    await h.stacks.delete(account.tenantId, stack.id);
    await h.settle();

    // Assess: gone, in the double too
    const deleted = await h.stacks.get(account.tenantId, stack.id);
    expect(deleted.status).toBe('DELETE_COMPLETE');
    expect(liveOf(stack.id)).toEqual([]);
    for (const component of components) expect(deleted.steps[component].status).toBe('ROLLED_BACK');

    // Every transition was published, and each event is valid.
    const events = h.publishedEvents().filter((e) => e.detail['stackId'] === stack.id);
    for (const event of events) expect(eventDetailErrors(event.type, event.detail)).toEqual([]);
    const stackStatuses = events.filter((e) => e.type === 'Stack Status Change').map((e) => e.detail['status']);
    expect(stackStatuses).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    const history = await h.stacks.events(account.tenantId, stack.id, { limit: 100 });
    expect(history.items.length).toBe(events.length);
  });
});
