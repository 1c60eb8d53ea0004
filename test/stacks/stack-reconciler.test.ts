import { createLogger } from '../../src/log/logger';
import { StaleStackWriteError } from '../../src/stacks/errors';
import { MAX_RESTARTS, StackReconciler } from '../../src/stacks/stack-reconciler';
import { executionEndedHandler } from '../../src/stacks/execution-ended-handler';
import type { ComponentName } from '../../src/model/components';
import { expectEventsForEveryTransition, suffix } from './workflow/fault-matrix';
import { DELETE_ARN, createWorkflowHarness, type Execution, type Harness } from './workflow/workflow-harness';

/**
 * An execution that stops outside its own Catch (StopExecution, States.Runtime, a limit) leaves its
 * stack waiting for ever. The reconciler, told by Step Functions' status-change event, hands the
 * stack to a teardown: a stopped creation rolls back, a stopped teardown starts again.
 */
let h: Harness;
let reconciler: StackReconciler;
beforeAll(async () => {
  h = await createWorkflowHarness();
  reconciler = new StackReconciler({ store: h.stackStore, recorder: h.recorder, sfn: h.sfn, deleteStateMachineArn: DELETE_ARN, logger: createLogger({ level: 'error', write: () => undefined }) });
});
afterAll(async () => h.close());
afterEach(() => h.double.clearFaults());

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await check()); waited += 20) {
    if (waited > 30_000) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A stack whose creation is under way, held at `component` (IN_PROGRESS) until the faults are cleared. */
async function creatingHeldAt(component: ComponentName) {
  const account = await h.connectedAccount();
  h.double.hang(suffix(component));
  const created = await h.stacks.create(account.tenantId, h.request(account));
  await until(`${component} is being created`, async () => (await h.stacks.get(account.tenantId, created.id)).steps[component].status === 'IN_PROGRESS');
  return { account, created };
}

/** Stops the stack's current execution as StopExecution would, and waits for it to end. */
async function stopCurrent(stack: { id: string }): Promise<Execution> {
  const current = await h.stackStore.get(stack.id);
  const execution = h.executions.get(current?.executionName ?? '');
  if (!execution) throw new Error(`no execution ${current?.executionName} for ${stack.id}`);
  execution.abort();
  expect(await execution.done).toBe('ABORTED');
  return execution;
}

const ended = (execution: Execution) => ({ executionName: execution.name, status: 'ABORTED' as const, input: execution.input });

describe('a provisioning execution that stopped before it finished', () => {
  it('is rolled back by a teardown that takes over, leaving nothing, once however often the event comes', async () => {
    const { account, created } = await creatingHeldAt('database');

    const stopped = await stopCurrent(created);
    h.double.clearFaults();
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('CREATE_IN_PROGRESS'); // and would stay so
    expect(h.liveComponentStacks(created.id).length).toBeGreaterThan(0);

    const executionsBefore = h.executions.size;
    expect(await reconciler.executionEnded(ended(stopped))).toBe('restarted');
    expect(await reconciler.executionEnded(ended(stopped))).toBe('restarted'); // redelivered: the same successor
    expect(h.executions.size).toBe(executionsBefore + 1);
    await h.settle();

    const stack = await h.stacks.get(account.tenantId, created.id);
    expect({ status: stack.status, live: h.liveComponentStacks(stack.id) }).toEqual({ status: 'ROLLBACK_COMPLETE', live: [] });
    expect(stack.statusReason).toBe('The provisioning workflow stopped before it finished (ABORTED); rolling back what it built');
    for (const step of Object.values(stack.steps)) expect(['ROLLED_BACK', 'SKIPPED']).toContain(step.status);
    await expectEventsForEveryTransition(h, stack);
    expect(await reconciler.executionEnded(ended(stopped))).toBe('ignored'); // long over
  });
});

describe('a teardown execution that stopped before it finished', () => {
  it('starts again and deletes everything', async () => {
    const account = await h.connectedAccount();
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    await h.stacks.delete(account.tenantId, created.id);
    const stopped = await stopCurrent(created);
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('DELETE_IN_PROGRESS');

    expect(await reconciler.executionEnded(ended(stopped))).toBe('restarted');
    await h.settle();

    const stack = await h.stacks.get(account.tenantId, created.id);
    expect({ status: stack.status, reason: stack.statusReason, live: h.liveComponentStacks(stack.id), restarts: stack.restarts }).toEqual({ status: 'DELETE_COMPLETE', reason: undefined, live: [], restarts: 1 });
    await expectEventsForEveryTransition(h, stack);
  });

  it('refuses writes from a step of the stopped execution still running once its successor took over', async () => {
    // Step Functions does not stop a Lambda when it stops the execution: its step may write late.
    const account = await h.connectedAccount();
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    await h.stacks.delete(account.tenantId, created.id);
    const stopped = await stopCurrent(created);
    expect(await reconciler.executionEnded(ended(stopped))).toBe('restarted');

    // The stopped execution's last step, arriving late (Step Functions names its execution in the input).
    await expect(h.workflow({ action: 'finish', stackId: created.id, outcome: 'delete', execution: stopped.name })).rejects.toThrow(StaleStackWriteError);
    const late = { whileExecution: stopped.name };
    await expect(h.recorder.recordStep(created.id, 'frontend', { status: 'FAILED', set: { reason: 'late' } }, late)).rejects.toThrow(StaleStackWriteError);
    await h.settle();
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('DELETE_COMPLETE');
  });

  it(`gives up after ${MAX_RESTARTS} restarts, ending DELETE_FAILED and naming every component stack that may remain`, async () => {
    const account = await h.connectedAccount();
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    await h.stacks.delete(account.tenantId, created.id);

    const outcomes = [];
    for (let stop = 0; stop <= MAX_RESTARTS; stop += 1) outcomes.push(await reconciler.executionEnded(ended(await stopCurrent(created))));
    await h.settle();

    expect(outcomes).toEqual([...Array<string>(MAX_RESTARTS).fill('restarted'), 'ended']);
    const stack = await h.stacks.get(account.tenantId, created.id);
    expect(stack.status).toBe('DELETE_FAILED');
    expect(stack.statusReason).toMatch(new RegExp(`^The teardown workflow stopped before it finished \\(ABORTED\\), ${MAX_RESTARTS + 1} times; not tried again`));
    const named = (stack.leftovers ?? []).map((l) => l.cloudFormationStackName);
    expect(named).toEqual(expect.arrayContaining(h.liveComponentStacks(stack.id)));
    await expectEventsForEveryTransition(h, stack);

    // The customer can still finish the job, with a fresh budget of restarts.
    expect((await h.stacks.delete(account.tenantId, created.id)).status).toBe('DELETE_IN_PROGRESS');
    expect((await h.stackStore.get(created.id))?.restarts).toBe(0);
    await h.settle();
    expect({ status: (await h.stacks.get(account.tenantId, created.id)).status, live: h.liveComponentStacks(created.id) }).toEqual({ status: 'DELETE_COMPLETE', live: [] });
  });
});

describe('a teardown handed over whose start failed', () => {
  it('is started by DELETE, and ends the rollback it is', async () => {
    const { account, created } = await creatingHeldAt('security');
    const stopped = await stopCurrent(created);
    h.double.clearFaults();

    h.startFaults.failures = 100; // Step Functions refuses every start: the event's retries run out
    await expect(reconciler.executionEnded(ended(stopped))).rejects.toThrow(/Rate exceeded/);
    h.startFaults.failures = 0;
    const handedOver = await h.stacks.get(account.tenantId, created.id);
    expect(handedOver).toMatchObject({ status: 'ROLLBACK_IN_PROGRESS', restartedAfter: stopped.name });
    expect(h.executions.has(handedOver.executionName)).toBe(false);

    expect((await h.stacks.delete(account.tenantId, created.id)).status).toBe('ROLLBACK_IN_PROGRESS');
    await h.settle();
    expect({ status: (await h.stacks.get(account.tenantId, created.id)).status, live: h.liveComponentStacks(created.id) }).toEqual({ status: 'ROLLBACK_COMPLETE', live: [] });
  });
});

describe('a stopped workflow whose event never came', () => {
  it('is found by DELETE, which hands the stack to a teardown (a creation: its rollback)', async () => {
    const { account, created } = await creatingHeldAt('security');
    await stopCurrent(created); // and the event is lost: nobody calls the reconciler
    h.double.clearFaults();

    const answer = await h.stacks.delete(account.tenantId, created.id);
    expect(answer.status).toBe('ROLLBACK_IN_PROGRESS');
    await h.settle();
    expect({ status: (await h.stacks.get(account.tenantId, created.id)).status, live: h.liveComponentStacks(created.id) }).toEqual({ status: 'ROLLBACK_COMPLETE', live: [] });
  });

  it('still answers 409 while the workflow runs', async () => {
    const { account, created } = await creatingHeldAt('network');
    await expect(h.stacks.delete(account.tenantId, created.id)).rejects.toMatchObject({ status: 409 });
    h.double.clearFaults();
    await h.settle();
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('CREATE_COMPLETE');
  });
});

describe('what the reconciler leaves alone', () => {
  it('ignores an execution whose stack recorded its own ending, and one that is not a stack workflow', async () => {
    const account = await h.connectedAccount();
    h.double.failCreate(suffix('network'));
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('ROLLBACK_COMPLETE');

    expect(await reconciler.executionEnded({ executionName: created.id, status: 'FAILED', input: JSON.stringify({ stackId: created.id }) })).toBe('ignored');
    expect(await reconciler.executionEnded({ executionName: 'other', status: 'FAILED', input: '{"order": 1}' })).toBe('ignored');
    expect(await reconciler.executionEnded({ executionName: 'other', status: 'FAILED', input: 'not json' })).toBe('ignored');
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('ROLLBACK_COMPLETE');
  });

  it('reads Step Functions events as AWS sends them, and drops anything else', async () => {
    const seen: unknown[] = [];
    const handler = executionEndedHandler({ executionEnded: async (e) => (seen.push(e), 'ignored') } as StackReconciler, createLogger({ level: 'error', write: () => undefined }));
    const event = {
      version: '0',
      id: 'e1',
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: 'arn:aws:states:us-east-1:999999999999:execution:groundwork-prod-provision-stack:stk_1',
        stateMachineArn: 'arn:aws:states:us-east-1:999999999999:stateMachine:groundwork-prod-provision-stack',
        name: 'stk_1',
        status: 'ABORTED',
        startDate: 1,
        stopDate: 2,
        input: '{"stackId":"stk_1"}',
        output: null,
        error: null,
        cause: null,
      },
    };
    await handler(event);
    await handler({ ...event, detail: { ...event.detail, status: 'SUCCEEDED' } });
    await handler({ source: 'aws.ec2' });
    expect(seen).toEqual([{ executionName: 'stk_1', status: 'ABORTED', input: '{"stackId":"stk_1"}' }]);
  });
});
