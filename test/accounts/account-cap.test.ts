import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createAccountRoute, deleteAccountRoute } from '../../src/accounts/account-routes';
import { AccountService } from '../../src/accounts/account-service';
import { DynamoDbAccountStore } from '../../src/accounts/account-store';
import { createEventPublisher } from '../../src/events/event-publisher';
import type { ApiResult } from '../../src/http/api-handler';
import { createLogger } from '../../src/log/logger';
import { tenantCountsKey } from '../../src/store/table-keys';
import { createTestTable } from '../support/dynamodb';
import { apiEvent, lambdaContext } from '../support/lambda';
import { testOnboardingSettings } from '../support/onboarding-settings';

/** The per-tenant account cap (decision 0011, L4) against DynamoDB Local, through the handlers. */
const CAP = 3;
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoDbAccountStore;
let routes: { create: ReturnType<typeof createAccountRoute>; remove: ReturnType<typeof deleteAccountRoute> };
const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
mockClient(eventBridge).on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });

beforeAll(async () => {
  table = await createTestTable();
  store = new DynamoDbAccountStore(table.dynamo, table.tableName);
  const logger = createLogger({ level: 'error', write: () => undefined });
  const service = new AccountService({ store, events: createEventPublisher(eventBridge, 'groundwork-test'), onboarding: testOnboardingSettings, logger, maxAccountsPerTenant: CAP });
  routes = { create: createAccountRoute(service, { logger, tenantClaim: 'tenant' }), remove: deleteAccountRoute(service, { logger, tenantClaim: 'tenant' }) };
});
afterAll(async () => table.drop());

const json = (result: ApiResult) => JSON.parse(result.body ?? 'null') as Record<string, unknown>;
const awsAccount = (n: number) => String(100000000000 + n);
const create = (tenant: string, n: number) => routes.create(apiEvent({ method: 'POST', path: '/v1/accounts', tenant, body: { awsAccountId: awsAccount(n) } }), lambdaContext());
const remove = (tenant: string, id: string) => routes.remove(apiEvent({ method: 'DELETE', path: `/v1/accounts/${id}`, tenant, pathParameters: { id } }), lambdaContext());
async function counted(tenant: string): Promise<number> {
  const item = await table.dynamo.send(new GetCommand({ TableName: table.tableName, Key: tenantCountsKey(tenant), ConsistentRead: true }));
  return Number(item.Item?.['accounts'] ?? 0);
}

describe('the account cap of a tenant', () => {
  it('refuses the account over the cap with a 409 problem naming the cap and the count, and frees a place on delete', async () => {
    // Prepare: a tenant at its cap
    const ids: string[] = [];
    for (let n = 0; n < CAP; n += 1) ids.push(String(json(await create('capped', n))['id']));

    // Act
    const refused = await create('capped', CAP);

    // Assess
    expect(refused.statusCode).toBe(409);
    expect(refused.headers?.['content-type']).toBe('application/problem+json');
    expect(json(refused)).toMatchObject({ type: 'urn:groundwork:problem:tenant-limit', status: 409, detail: expect.stringContaining(`has ${CAP} accounts; the cap is ${CAP}`) });
    expect((await create('another-tenant', 0)).statusCode).toBe(201);
    expect((await remove('capped', ids[0] ?? '')).statusCode).toBe(204);
    expect(await counted('capped')).toBe(CAP - 1);
    expect((await create('capped', CAP)).statusCode).toBe(201);
  });

  it('holds when creations race at its edge: never more accounts than the cap, and the count is what exists', async () => {
    // Prepare: one place left
    for (let n = 0; n < CAP - 1; n += 1) expect((await create('racing', n)).statusCode).toBe(201);

    // Act: six creations of distinct AWS accounts at once
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => create('racing', 10 + i)));

    // Assess: at most one got in; the others are 409s (the cap, or a lost race to retry)
    expect(answers.filter((a) => a.statusCode === 201).length).toBeLessThanOrEqual(1);
    expect(answers.every((a) => a.statusCode === 201 || a.statusCode === 409)).toBe(true);
    const exist = (await store.listByTenant('racing', { limit: 50 })).items.length;
    expect(exist).toBeLessThanOrEqual(CAP);
    expect(await counted('racing')).toBe(exist);
  });

  it('counts out only accounts it counted in, so one from before the cap cannot drive the count below what exists', async () => {
    // Prepare: an account stored as before the cap (no countsInTenant, no count)
    const created = json(await create('legacy', 0));
    const account = await store.get(String(created['id']));
    if (!account) throw new Error('account not stored');
    const old = await store.update(account.id, { set: {}, remove: ['countsInTenant'] }, { version: account.version });
    expect((await create('legacy', 1)).statusCode).toBe(201);
    expect(await counted('legacy')).toBe(2);

    // Act
    expect((await remove('legacy', old.id)).statusCode).toBe(204);

    // Assess: the old account's deletion freed nothing; the counted one is still counted
    expect(await counted('legacy')).toBe(2);
  });
});
