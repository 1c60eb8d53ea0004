import { COMPONENTS } from '../../../src/model/components';
import { expectCleanRollback, expectEventsForEveryTransition, runWithFault, suffix } from './fault-matrix';
import { createWorkflowHarness, type Harness } from './workflow-harness';

/** Faults of the customer's AWS, for every component: the stack rolls back and leaves nothing. */
let h: Harness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => h.close());
afterEach(() => h.double.clearFaults());

describe('fault matrix: the customer account fails us', () => {
  it.each(COMPONENTS)('%s × resource CREATE_FAILED → ROLLBACK_COMPLETE, nothing left', async (component) => {
    const stack = await runWithFault(h, (c) => h.double.failCreate(suffix(c), 'Resource handler returned message: "quota exceeded"'), component);
    expectCleanRollback(h, stack, component, /quota exceeded/);
    await expectEventsForEveryTransition(h, stack);
  });

  it.each(COMPONENTS)('%s × API throttling storm → ROLLBACK_COMPLETE, nothing left', async (component) => {
    const stack = await runWithFault(h, (c) => h.double.throttle({ command: 'CreateStack', stackName: suffix(c) }, 1000), component);
    expectCleanRollback(h, stack, component, /CustomerApiThrottledError/);
    await expectEventsForEveryTransition(h, stack);
  });

  it.each(COMPONENTS)('%s × access denied → ROLLBACK_COMPLETE, nothing left', async (component) => {
    const stack = await runWithFault(h, (c) => h.double.denyAccess({ command: 'CreateStack', stackName: suffix(c) }), component);
    expectCleanRollback(h, stack, component, /refused in the customer account/);
    await expectEventsForEveryTransition(h, stack);
  });

  it.each(COMPONENTS)('%s × failure whose rollback takes a while → DeleteStack only once it is ROLLBACK_COMPLETE, nothing left (U2)', async (component) => {
    // CloudFormation refuses DeleteStack while the rollback runs (as the sandbox does): the teardown waits for it.
    const stack = await runWithFault(h, (c) => h.double.failCreate(suffix(c), 'Resource handler returned message: "quota exceeded"', { rollbackDescribes: 3 }), component);
    expectCleanRollback(h, stack, component, /quota exceeded/);
    const name = `groundwork-${stack.id}-${component}`;
    const deletes = h.double.calls.filter((call) => call.command === 'DeleteStack' && call.stackName === name);
    expect(deletes.map((call) => call.outcome)).toEqual(['ok']);
    // The stack itself went through its whole rollback before its deletion.
    const stackStatuses = h.double.eventsOf(stack.steps[component].cloudFormationStackId ?? name).filter((event) => event.ResourceType === 'AWS::CloudFormation::Stack').map((event) => event.ResourceStatus);
    expect(stackStatuses).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    await expectEventsForEveryTransition(h, stack);
  });

  it('a throttling that clears within the retry budget does not fail the stack', async () => {
    const stack = await runWithFault(h, (c) => h.double.throttle({ stackName: suffix(c) }, 5), 'database');
    expect(stack.status).toBe('CREATE_COMPLETE');
    expect(h.liveComponentStacks(stack.id)).toHaveLength(COMPONENTS.length);
    await expectEventsForEveryTransition(h, stack);
  });
});
