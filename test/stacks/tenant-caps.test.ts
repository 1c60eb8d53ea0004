import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiResult } from '../../src/http/api-handler';
import { createLogger } from '../../src/log/logger';
import { createStackRoute } from '../../src/stacks/stack-routes';
import { tenantCountsKey } from '../../src/store/table-keys';
import { apiEvent, lambdaContext } from '../support/lambda';
import { createWorkflowHarness, type Harness } from './workflow/workflow-harness';

/** The per-tenant live-stack cap (decision 0011, L4) against DynamoDB Local, through the handler. */
const CAP = 3;
let h: Harness;
let create: ReturnType<typeof createStackRoute>;
beforeAll(async () => {
  h = await createWorkflowHarness({ maxLiveStacksPerTenant: CAP });
  create = createStackRoute(h.stacks, { logger: createLogger({ level: 'error', write: () => undefined }), tenantClaim: 'tenant' });
});
afterAll(async () => h.close());

const json = (result: ApiResult) => JSON.parse(result.body ?? 'null') as Record<string, unknown>;
const post = (tenant: string, accountId: string, name: string) =>
  create(apiEvent({ method: 'POST', path: '/v1/stacks', tenant, body: { name, accountId } }), lambdaContext());
async function counted(tenant: string): Promise<number> {
  const item = await h.table.dynamo.send(new GetCommand({ TableName: h.table.tableName, Key: tenantCountsKey(tenant), ConsistentRead: true }));
  return Number(item.Item?.['liveStacks'] ?? 0);
}

describe('the live-stack cap of a tenant', () => {
  it('holds when creations race at its edge: never more live stacks than the cap, and the count is what lives', async () => {
    // Prepare: one tenant with one stack already live
    const first = await h.connectedAccount();
    expect((await post(first.tenantId, first.id, 'already')).statusCode).toBe(202);

    // Act: eight creations at once for the two places left
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(first.tenantId, first.id, `racer-${i}`)));
    await h.settle();

    // Assess: at most two got in; every other answer is a 409 (the cap, or a lost race to retry)
    const accepted = answers.filter((a) => a.statusCode === 202);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(accepted.length).toBeLessThanOrEqual(CAP - 1);
    expect(answers.filter((a) => a.statusCode !== 202).every((a) => a.statusCode === 409)).toBe(true);
    const live = (await h.stacks.list(first.tenantId, { limit: 50 })).items.filter((s) => s.status === 'CREATE_COMPLETE');
    expect(live).toHaveLength(1 + accepted.length);
    expect(await counted(first.tenantId)).toBe(live.length);

    // And once full, the next is refused naming the cap and the count
    for (let i = live.length; i < CAP; i += 1) expect((await post(first.tenantId, first.id, `fill-${i}`)).statusCode).toBe(202);
    const refused = await post(first.tenantId, first.id, 'one-too-many');
    expect(refused.statusCode).toBe(409);
    expect(refused.headers?.['content-type']).toBe('application/problem+json');
    expect(json(refused)).toMatchObject({ type: 'urn:groundwork:problem:tenant-limit', status: 409, detail: expect.stringContaining(`has ${CAP} live stacks; the cap is ${CAP}`) });
  });

  it('frees a place when a stack is deleted, and counts out only what it counted in', async () => {
    // Prepare: a full tenant, one of whose stacks predates the cap (stored without countsInTenant)
    const account = await h.connectedAccount();
    const ids: string[] = [];
    for (let i = 0; i < CAP; i += 1) ids.push(String(json(await post(account.tenantId, account.id, `s-${i}`))['id']));
    await h.settle();
    const [deleted = '', old = ''] = ids;
    const stored = await h.stackStore.get(old);
    if (!stored) throw new Error('stack not stored');
    const { countsInTenant: _counted, ...asBefore } = stored;
    await h.stackStore.save(stored, { ...asBefore, version: stored.version + 1 }, []);

    // Act: delete one counted stack and the old one
    await h.stacks.delete(account.tenantId, deleted);
    await h.settle();
    await h.stacks.delete(account.tenantId, old);
    await h.settle();

    // Assess: one place freed by the counted stack; the old one's deletion freed none
    expect(await counted(account.tenantId)).toBe(CAP - 1);
    expect((await post(account.tenantId, account.id, 'again')).statusCode).toBe(202);
    expect((await post(account.tenantId, account.id, 'over')).statusCode).toBe(409);
  });
});
