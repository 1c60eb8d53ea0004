import { StaleStackWriteError } from '../../src/stacks/errors';
import { StackRecorder } from '../../src/stacks/stack-recorder';
import { createLogger } from '../../src/log/logger';
import { stackServiceFixture } from '../support/stack-service-fixture';

/** StackRecorder, the one writer of a stack's state, over the in-memory store: fast, no DynamoDB Local. */
describe('StackRecorder', () => {
  let f: ReturnType<typeof stackServiceFixture>;
  beforeEach(() => {
    f = stackServiceFixture();
  });

  async function createdStack(name?: string) {
    const account = await f.connectedAccount();
    const view = await f.service.create(account.tenantId, f.request(account, name ? { name } : {}));
    f.published.length = 0;
    return { account, stack: await f.recorder.load(view.id) };
  }

  const stepEvents = () => f.published.filter((e) => e.type === 'Stack Step Status Change');

  it('records a step\'s move with a new version and publishes it once', async () => {
    const { stack } = await createdStack();

    const after = await f.recorder.recordStep(stack.id, 'network', { status: 'IN_PROGRESS', set: { startedAt: '2026-01-01T00:00:00.000Z' } });

    expect(after.version).toBe(stack.version + 1);
    expect((await f.recorder.load(stack.id)).steps.network).toMatchObject({ status: 'IN_PROGRESS', startedAt: '2026-01-01T00:00:00.000Z' });
    expect(stepEvents()).toEqual([{ type: 'Stack Step Status Change', detail: expect.objectContaining({ step: 'network', status: 'IN_PROGRESS', previousStatus: 'PENDING' }) }]);
  });

  it('takes a repeated move (a retried step) as done: no new version, no second event', async () => {
    const { stack } = await createdStack();
    await f.recorder.recordStep(stack.id, 'network', { status: 'IN_PROGRESS' });

    const again = await f.recorder.recordStep(stack.id, 'network', { status: 'IN_PROGRESS' });

    expect(again.version).toBe(stack.version + 1);
    expect(stepEvents()).toHaveLength(1);
  });

  it('refuses a move the statuses do not allow, and changes nothing', async () => {
    const { stack } = await createdStack();

    await expect(f.recorder.recordStackStatus(stack.id, { status: 'DELETE_COMPLETE' })).rejects.toBeInstanceOf(StaleStackWriteError);
    await expect(f.recorder.recordStep(stack.id, 'network', { status: 'ROLLED_BACK' }, { whileStack: 'DELETE_IN_PROGRESS' })).rejects.toBeInstanceOf(StaleStackWriteError);

    expect(await f.recorder.load(stack.id)).toEqual(stack);
    expect(f.published).toEqual([]);
  });

  it('refuses a write from an execution that is no longer the stack\'s current one', async () => {
    const { stack } = await createdStack();

    const stale = f.recorder.recordStep(stack.id, 'network', { status: 'IN_PROGRESS' }, { whileExecution: `${stack.id}-delete-1` });

    await expect(stale).rejects.toBeInstanceOf(StaleStackWriteError);
    expect((await f.recorder.load(stack.id)).steps.network.status).toBe('PENDING');
  });

  it('gives back the name, the VPC block and the live count when the stack reaches a released status', async () => {
    const { account, stack } = await createdStack('web');
    await f.recorder.recordStackStatus(stack.id, { status: 'ROLLBACK_IN_PROGRESS', reason: 'a step failed' });

    const ended = await f.recorder.recordStackStatus(stack.id, { status: 'ROLLBACK_COMPLETE', reason: 'a step failed' });

    expect(ended).toMatchObject({ status: 'ROLLBACK_COMPLETE', statusReason: 'a step failed', released: true });
    expect(f.store.liveCount(account.id)).toBe(0);
    expect((await f.store.cidrScope({ tenantId: account.tenantId, accountId: account.id, region: 'us-east-1' })).taken).toEqual([]);
    await expect(f.service.create(account.tenantId, f.request(account, { name: 'web' }))).resolves.toMatchObject({ status: 'CREATE_IN_PROGRESS' });
  });

  it('applies its change over a write that got there first, losing neither', async () => {
    const { stack } = await createdStack();
    const other = new StackRecorder(f.store, { publish: async () => undefined }, createLogger({ level: 'error', write: () => undefined }));
    let raced = false;
    f.store.beforeWrite = async () => {
      if (raced) return;
      raced = true;
      await other.recordStep(stack.id, 'nat', { status: 'IN_PROGRESS' }); // a parallel branch writes between our read and our write
    };

    await f.recorder.recordStep(stack.id, 'network', { status: 'IN_PROGRESS' });

    const now = await f.recorder.load(stack.id);
    expect([now.steps.network.status, now.steps.nat.status]).toEqual(['IN_PROGRESS', 'IN_PROGRESS']);
    expect(now.version).toBe(stack.version + 2);
  });

  it('keeps an event whose publication failed pending, and sends it first with the next change', async () => {
    const { stack } = await createdStack();
    f.publishFaults.failures = 1;

    await f.recorder.recordStep(stack.id, 'network', { status: 'IN_PROGRESS' });
    expect(f.published).toEqual([]);
    await f.recorder.recordStep(stack.id, 'network', { status: 'COMPLETE' });

    expect(stepEvents().map((e) => e.detail['status'])).toEqual(['IN_PROGRESS', 'COMPLETE']);
  });

  it('hands a stopped execution\'s stack to a new execution once', async () => {
    const { stack } = await createdStack();
    const restart = { stopped: stack.executionName, status: 'ROLLBACK_IN_PROGRESS' as const, reason: 'stopped', executionName: `${stack.id}-delete-1` };

    const first = await f.recorder.restart(stack.id, restart);
    const again = await f.recorder.restart(stack.id, restart);

    expect(first).toMatchObject({ status: 'ROLLBACK_IN_PROGRESS', executionName: `${stack.id}-delete-1`, restartedAfter: stack.id, restarts: 1, deleteCount: 1 });
    expect(again).toEqual(first);
    expect(f.published.filter((e) => e.type === 'Stack Status Change')).toHaveLength(1);
  });
});
