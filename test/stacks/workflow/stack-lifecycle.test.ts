import { jest } from '@jest/globals';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { expectEventsForEveryTransition, runWithFault, suffix } from './fault-matrix';
import { createWorkflowHarness, type Harness } from './workflow-harness';

let h: Harness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => h.close());
afterEach(() => h.double.clearFaults());

describe('rollback that cannot finish', () => {
  it('ends ROLLBACK_FAILED naming exactly the component stacks left, and why', async () => {
    // frontend fails to create; the database then refuses to be deleted, so what it stands on stays too.
    // The two are built in parallel: frontend fails only once the database exists, or there is nothing to leave.
    const existing = new Set(h.double.allStacks().map((s) => s.stackId));
    const databaseBuilt = () => h.double.allStacks().some((s) => !existing.has(s.stackId) && /-database$/.test(s.stackName) && s.status === 'CREATE_COMPLETE');
    const stack = await runWithFault(h, () => {
      h.double.hang(suffix('frontend'), databaseBuilt);
      h.double.failCreate(suffix('frontend'));
      h.double.failDelete(suffix('database'), Number.POSITIVE_INFINITY, 'DB instance is protected');
    }, 'frontend');

    expect(stack.status).toBe('ROLLBACK_FAILED');
    const live = h.liveComponentStacks(stack.id);
    expect((stack.leftovers ?? []).map((l) => l.cloudFormationStackName).sort()).toEqual(live);
    expect(live).toEqual(['database', 'network', 'secrets', 'security'].map((c) => `groundwork-${stack.id}-${c}`));
    const byComponent = Object.fromEntries((stack.leftovers ?? []).map((l) => [l.component, l.reason]));
    expect(byComponent['database']).toMatch(/delete failed 3 times/);
    expect(byComponent['secrets']).toMatch(/database could not be deleted/);
    expect(byComponent['network']).toMatch(/security, database could not be deleted/);
    expect(stack.statusReason).toContain(`groundwork-${stack.id}-database`);
    await expectEventsForEveryTransition(h, stack);

    // Once the cause is gone, deleting the stack cleans up what was left.
    h.double.clearFaults();
    await h.stacks.delete(stack.tenantId, stack.id);
    await h.settle();
    const deleted = await h.stacks.get(stack.tenantId, stack.id);
    expect(deleted.status).toBe('DELETE_COMPLETE');
    expect(h.liveComponentStacks(stack.id)).toEqual([]);
  });
});

describe('POST /v1/stacks semantics', () => {
  it('answers 50 concurrent identical requests with one key with one stack, one execution and identical responses', async () => {
    const account = await h.connectedAccount();
    const request = h.request(account);
    const executionsBefore = h.executions.size;

    const responses = await Promise.all(Array.from({ length: 50 }, () => h.stacks.create(account.tenantId, request, 'order-42')));
    await h.settle();

    expect(new Set(responses.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(h.executions.size - executionsBefore).toBe(1);
    const listed = await h.stacks.list(account.tenantId, { limit: 100 });
    expect(listed.items.map((s) => s.id)).toEqual([responses[0]?.id]);
    expect((await h.stacks.get(account.tenantId, responses[0]?.id ?? '')).status).toBe('CREATE_COMPLETE');
  });

  it('refuses the same key with another body (422), and a key-less repeat of a live name (409)', async () => {
    const account = await h.connectedAccount();
    const request = h.request(account);
    await h.stacks.create(account.tenantId, request, 'key-1');
    await expect(h.stacks.create(account.tenantId, { ...request, compute: request.compute && { ...request.compute, max: 9 } }, 'key-1')).rejects.toMatchObject({
      status: 422,
      code: 'idempotency-key-reused',
    });
    await expect(h.stacks.create(account.tenantId, request)).rejects.toMatchObject({ status: 409, code: 'stack-name-taken' });
    await h.settle();
  });

  it('refuses an account that is not CONNECTED with 409 and creates nothing', async () => {
    const account = await h.connectedAccount(undefined, 'AWAITING_CONNECTION');
    const executionsBefore = h.executions.size;
    await expect(h.stacks.create(account.tenantId, h.request(account))).rejects.toMatchObject({ status: 409, code: 'account-not-connected' });
    expect(h.executions.size).toBe(executionsBefore);
    expect((await h.stacks.list(account.tenantId, { limit: 10 })).items).toEqual([]);
  });

  it('lets a rolled-back stack be created again with the same name at once, in the same block', async () => {
    const account = await h.connectedAccount();
    const request = h.request(account);
    h.double.failCreate(suffix('cluster'));
    const first = await h.stacks.create(account.tenantId, request);
    await h.settle();
    expect((await h.stacks.get(account.tenantId, first.id)).status).toBe('ROLLBACK_COMPLETE');

    h.double.clearFaults();
    const again = await h.stacks.create(account.tenantId, request);
    await h.settle();
    const stack = await h.stacks.get(account.tenantId, again.id);
    expect(stack.status).toBe('CREATE_COMPLETE');
    expect(stack.name).toBe(first.name);
    expect(stack.network.vpcCidr).toBe(first.vpcCidr);
  });

  it('gives two live stacks of a tenant in one account and region blocks that do not overlap', async () => {
    const account = await h.connectedAccount();
    const [a, b] = await Promise.all([h.stacks.create(account.tenantId, h.request(account)), h.stacks.create(account.tenantId, h.request(account))]);
    await h.settle();
    expect(a?.vpcCidr).not.toBe(b?.vpcCidr);
    expect([a?.vpcCidr, b?.vpcCidr].sort()).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
  });

  it('refuses DELETE with 409 while the stack is being created', async () => {
    const account = await h.connectedAccount();
    h.double.hang(suffix('network'));
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await expect(h.stacks.delete(account.tenantId, created.id)).rejects.toMatchObject({ status: 409, code: 'stack-busy' });
    // Release the hung component so the workflow can finish.
    h.double.clearFaults();
    await h.settle();
  });

  it('never shows a secret value in a stack, its steps or its history', async () => {
    const account = await h.connectedAccount();
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    const stack = await h.stacks.get(account.tenantId, created.id);
    const history = await h.stacks.events(account.tenantId, created.id, { limit: 100 });
    const text = JSON.stringify({ stack, history });
    // The secret is shown by reference (its ARN) and nothing else of it.
    expect(Object.keys(stack.steps.secrets.outputs ?? {})).toEqual(['DatabaseSecretArn']);
    expect(text).not.toMatch(/"(password|MasterUserPassword|SecretString)"\s*:\s*"[^{]/i);
  });
});

describe('late steps', () => {
  it('a deploy arriving after its stack started rolling back creates nothing', async () => {
    const account = await h.connectedAccount();
    h.double.failCreate(suffix('network'));
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    h.double.clearFaults();
    const before = h.double.allStacks().filter((s) => s.stackName.startsWith(`groundwork-${created.id}-`)).length;
    // network was created, failed and rolled back: a late deploy of it is refused; cluster never started and is skipped.
    await expect(h.workflow({ action: 'deploy', stackId: created.id, component: 'network' })).rejects.toMatchObject({ name: 'ComponentFailedError' });
    await expect(h.workflow({ action: 'deploy', stackId: created.id, component: 'cluster' })).resolves.toEqual({ outcome: 'SKIPPED' });
    expect(h.double.allStacks().filter((s) => s.stackName.startsWith(`groundwork-${created.id}-`)).length).toBe(before);
  });
});

describe('a deploy racing the rollback', () => {
  it('waits for a component whose CreateStack lands after the rollback began, and deletes it', async () => {
    // Prepare: a stack whose network hangs, so its execution stays in flight.
    const account = await h.connectedAccount();
    h.double.hang(suffix('network'));
    const created = await h.stacks.create(account.tenantId, h.request(account));
    const stackId = created.id;
    // A deploy of nat claimed its step; then the rollback starts before its CreateStack lands.
    await h.recorder.recordStep(stackId, 'nat', { status: 'IN_PROGRESS', set: { startedAt: new Date().toISOString() } }, { whileStack: 'CREATE_IN_PROGRESS' });
    await h.recorder.recordStackStatus(stackId, { status: 'ROLLBACK_IN_PROGRESS', reason: 'a sibling failed' });
    // A deploy arriving now cannot claim anything.
    await expect(h.workflow({ action: 'deploy', stackId, component: 'secrets' })).rejects.toMatchObject({ name: 'ComponentFailedError' });

    // Act + Assess: the teardown (which has dealt with nat's dependents first, as its graph does)…
    for (const dependent of ['frontend', 'cluster'] as const) expect(await h.workflow({ action: 'delete', stackId, component: dependent })).toMatchObject({ outcome: 'GONE' });
    // …does not write nat off while its CreateStack may still land…
    expect(await h.workflow({ action: 'delete', stackId, component: 'nat' })).toMatchObject({ outcome: 'DELETING' });
    expect(await h.workflow({ action: 'check-deletion', stackId, component: 'nat', attempt: 0 })).toMatchObject({ outcome: 'DELETING' });
    // …and when it lands, it is found and deleted.
    await h.double.send(
      new CreateStackCommand({
        StackName: `groundwork-${stackId}-nat`,
        TemplateBody: JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } }),
        Tags: [{ Key: 'groundwork:stack', Value: stackId }],
      }),
    );
    await h.double.send(new DescribeStacksCommand({ StackName: `groundwork-${stackId}-nat` }));
    expect(await h.workflow({ action: 'delete', stackId, component: 'nat' })).toMatchObject({ outcome: 'DELETING' });
    for (let i = 0; i < 5 && h.liveComponentStacks(stackId).includes(`groundwork-${stackId}-nat`); i += 1) {
      await h.workflow({ action: 'check-deletion', stackId, component: 'nat', attempt: i });
    }
    expect(h.liveComponentStacks(stackId)).not.toContain(`groundwork-${stackId}-nat`);
    expect((await h.stacks.get(account.tenantId, stackId)).steps.nat.status).toBe('ROLLED_BACK');

    // Let the hung execution end.
    h.double.clearFaults();
    await h.settle();
  });
});

describe('a workflow that cannot start', () => {
  it('ends the stack ROLLBACK_COMPLETE at once, so the same request can be retried', async () => {
    const account = await h.connectedAccount();
    const request = h.request(account);
    h.startFaults.failures = 1;
    await expect(h.stacks.create(account.tenantId, request)).rejects.toMatchObject({ name: 'ThrottlingException' });
    const [failed] = (await h.stacks.list(account.tenantId, { limit: 10 })).items;
    expect(failed).toMatchObject({ status: 'ROLLBACK_COMPLETE', statusReason: expect.stringMatching(/could not be started; nothing was created/) });
    // The retry gets the same name and block.
    const retried = await h.stacks.create(account.tenantId, request);
    await h.settle();
    expect((await h.stacks.get(account.tenantId, retried.id)).status).toBe('CREATE_COMPLETE');
    expect(retried.vpcCidr).toBe(failed?.vpcCidr);
  });
});

describe('an account and a stack in it', () => {
  afterEach(() => jest.restoreAllMocks());

  it('cannot be deleted while a stack lives, even when the live-stacks index lags behind', async () => {
    const account = await h.connectedAccount();
    const created = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    // The index is eventually consistent: make it miss the stack, as it may just after a create.
    jest.spyOn(h.accountStore, 'hasLiveStacks').mockResolvedValue(false);

    await expect(h.accounts.delete(account.tenantId, account.id)).rejects.toMatchObject({ status: 409, code: 'account-has-live-stacks' });
    expect(await h.accountStore.get(account.id)).toMatchObject({ id: account.id, status: 'CONNECTED' });

    await h.stacks.delete(account.tenantId, created.id);
    await h.settle();
    expect((await h.stacks.get(account.tenantId, created.id)).status).toBe('DELETE_COMPLETE');
    await h.accounts.delete(account.tenantId, account.id);
    expect(await h.accountStore.get(account.id)).toBeUndefined();
  });

  it('counts a rolled-back stack out once, however it ends', async () => {
    const account = await h.connectedAccount();
    h.double.failCreate(suffix('network'));
    const failed = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    expect((await h.stacks.get(account.tenantId, failed.id)).status).toBe('ROLLBACK_COMPLETE');
    h.double.clearFaults();
    // Deleting what already rolled back ends it again (DELETE_COMPLETE) without counting it out twice.
    await h.stacks.delete(account.tenantId, failed.id).catch(() => undefined);
    await h.settle();
    const live = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    jest.spyOn(h.accountStore, 'hasLiveStacks').mockResolvedValue(false);
    await expect(h.accounts.delete(account.tenantId, account.id)).rejects.toMatchObject({ code: 'account-has-live-stacks' });
    await h.stacks.delete(account.tenantId, live.id);
    await h.settle();
    await expect(h.accounts.delete(account.tenantId, account.id)).resolves.toBeUndefined();
  });

  it('does not count out a stack that was never counted in (created before the count was kept)', async () => {
    const account = await h.connectedAccount();
    const old = await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();
    // As such a stack was stored: no countsAsLive mark, and no count for it.
    await h.table.dynamo.send(new UpdateCommand({ TableName: h.table.tableName, Key: { pk: `STACK#${old.id}`, sk: 'STACK' }, UpdateExpression: 'REMOVE countsAsLive' }));
    await h.table.dynamo.send(new DeleteCommand({ TableName: h.table.tableName, Key: { pk: `ACCOUNT#${account.id}`, sk: 'LIVE_STACKS' } }));
    await h.stacks.create(account.tenantId, h.request(account));
    await h.settle();

    await h.stacks.delete(account.tenantId, old.id);
    await h.settle();
    expect((await h.stacks.get(account.tenantId, old.id)).status).toBe('DELETE_COMPLETE');
    jest.spyOn(h.accountStore, 'hasLiveStacks').mockResolvedValue(false);
    await expect(h.accounts.delete(account.tenantId, account.id)).rejects.toMatchObject({ code: 'account-has-live-stacks' });
  });

  it('cannot get a stack once the account it was read from is deleted or disconnected', async () => {
    for (const change of ['deleted', 'disconnected'] as const) {
      const account = await h.connectedAccount();
      const executionsBefore = h.executions.size;
      // The service read the account while it was CONNECTED; it changes before the stack is written.
      jest.spyOn(h.accounts, 'get').mockResolvedValueOnce(account);
      if (change === 'deleted') await h.accounts.delete(account.tenantId, account.id);
      else await h.accountStore.update(account.id, { set: { status: 'REVOKED' } }, { version: account.version });

      const refused = h.stacks.create(account.tenantId, h.request(account));
      await expect(refused).rejects.toMatchObject(change === 'deleted' ? { status: 404, code: 'account-not-found' } : { status: 409, code: 'account-not-connected' });
      expect(h.executions.size).toBe(executionsBefore);
      expect((await h.stacks.list(account.tenantId, { limit: 10 })).items).toEqual([]);
    }
  });
});
