import { COMPONENTS, type ComponentName } from '../../../src/model/components';
import { expectCleanRollback, expectEventsForEveryTransition, runWithFault, suffix } from './fault-matrix';
import { createWorkflowHarness, type Harness } from './workflow-harness';

/**
 * Faults in time and in our own process, for every component. Time: each DescribeStacks of the
 * hung component moves the clock on a minute, so its deadline passes after a few dozen polls
 * while the rest of the stack sees ordinary time.
 */
let h: Harness;
let hung: ComponentName | undefined;
const clock = () => {
  const polls = hung ? h.double.calls.filter((c) => c.command === 'DescribeStacks' && c.stackName?.endsWith(`-${hung}`)).length : 0;
  return new Date(Date.now() + polls * 60_000);
};

beforeAll(async () => {
  h = await createWorkflowHarness({ now: clock });
});
afterAll(async () => h.close());
afterEach(() => {
  h.double.clearFaults();
  h.crash.component = undefined;
  delete h.crash.times;
  hung = undefined;
});

describe('fault matrix: time runs out, or we crash', () => {
  it.each(COMPONENTS)('%s × step timeout → ROLLBACK_COMPLETE, nothing left', async (component) => {
    const stack = await runWithFault(h, (c) => {
      hung = c;
      h.double.hang(suffix(c));
    }, component);
    expectCleanRollback(h, stack, component, /did not finish within/);
    await expectEventsForEveryTransition(h, stack);
  });

  it.each(COMPONENTS)('%s × crash between CreateStack and the state write → ROLLBACK_COMPLETE, nothing left', async (component) => {
    const stack = await runWithFault(h, (c) => void (h.crash.component = c), component);
    // The component's stack was created but never recorded: the rollback still found and deleted it.
    expect(h.double.allStacks().some((s) => s.stackName === `groundwork-${stack.id}-${component}`)).toBe(true);
    expectCleanRollback(h, stack, component, /injected crash/);
    await expectEventsForEveryTransition(h, stack);
  });

  it('a crash that happens once is retried without creating anything twice', async () => {
    const stack = await runWithFault(h, (c) => {
      h.crash.component = c;
      h.crash.times = 1;
    }, 'cluster');
    expect(stack.status).toBe('CREATE_COMPLETE');
    const clusterStacks = h.double.allStacks().filter((s) => s.stackName === `groundwork-${stack.id}-cluster`);
    expect(clusterStacks).toHaveLength(1);
    const creates = h.double.calls.filter((c) => c.command === 'CreateStack' && c.stackName === `groundwork-${stack.id}-cluster`);
    expect(creates.length).toBe(2);
  });
});
