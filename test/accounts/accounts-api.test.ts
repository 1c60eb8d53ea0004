import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { AccountService } from '../../src/accounts/account-service';
import { DynamoDbAccountStore } from '../../src/accounts/account-store';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OWNER_INDEX, tableDefinition } from '../../src/store/table-definition';
import { liveStacksIndex, tenantAccountsIndex } from '../../src/store/table-keys';
import {
  createAccountRoute,
  deleteAccountRoute,
  getAccountRoute,
  listAccountsRoute,
  reissueRegistrationLinkRoute,
} from '../../src/accounts/account-routes';
import { hashRegistrationToken } from '../../src/accounts/onboarding-credentials';
import { ONBOARDING_TEMPLATE_VERSION } from '../../src/accounts/onboarding-template-version';
import { createEventPublisher } from '../../src/events/event-publisher';
import type { ApiResult } from '../../src/http/api-handler';
import { createLogger } from '../../src/log/logger';
import { createTestTable } from '../support/dynamodb';
import { eventDetailErrors } from '../support/event-schemas';
import { apiEvent, lambdaContext } from '../support/lambda';
import { testOnboardingSettings } from '../support/onboarding-settings';

const onboarding = testOnboardingSettings;

let table: Awaited<ReturnType<typeof createTestTable>>;
const eventBridge = new EventBridgeClient({ region: 'us-east-1' });
const eventBridgeMock = mockClient(eventBridge);
const logLines: string[] = [];

function routes() {
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(line) });
  const service = new AccountService({
    store: new DynamoDbAccountStore(table.dynamo, table.tableName),
    events: createEventPublisher(eventBridge, 'groundwork-test'),
    onboarding,
    logger,
  });
  const options = { logger, tenantClaim: 'tenant' };
  return {
    create: createAccountRoute(service, options),
    list: listAccountsRoute(service, options),
    get: getAccountRoute(service, options),
    remove: deleteAccountRoute(service, options),
    newLink: reissueRegistrationLinkRoute(service, options),
  };
}

type Routes = ReturnType<typeof routes>;
let api: Routes;

function json(result: ApiResult): Record<string, unknown> {
  return JSON.parse(result.body ?? 'null') as Record<string, unknown>;
}

async function createAccount(tenant: string, body: unknown = { awsAccountId: '123456789012', name: 'Production' }) {
  return api.create(apiEvent({ method: 'POST', path: '/v1/accounts', tenant, body }), lambdaContext());
}

function publishedEvents() {
  return eventBridgeMock.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({ ...entry, detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown> })),
  );
}

beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => table.drop());
beforeEach(() => {
  eventBridgeMock.reset();
  eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  logLines.length = 0;
  api = routes();
});

describe('POST /v1/accounts', () => {
  it('starts onboarding: a 201 with a random ExternalId, a one-time token and a quick-create link with every parameter', async () => {
    const response = await createAccount('acme', { awsAccountId: '123456789012', name: 'Production' });
    expect(response.statusCode).toBe(201);
    const body = json(response);
    expect(body['id']).toMatch(/^acc_[a-z0-9]{20}$/);
    expect(response.headers?.['location']).toBe(`/v1/accounts/${String(body['id'])}`);
    expect(body['status']).toBe('AWAITING_CONNECTION');
    const externalId = String(body['externalId']);
    expect(Buffer.from(externalId, 'base64url').length).toBeGreaterThanOrEqual(16);

    const onboardingInfo = body['onboarding'] as Record<string, unknown>;
    const token = String(onboardingInfo['registrationToken']);
    expect(token).toMatch(/^gwr_[A-Za-z0-9_-]{43}$/);
    const expires = Date.parse(String(onboardingInfo['registrationTokenExpiresAt']));
    expect(expires - Date.now()).toBeGreaterThan(47.9 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(48 * 3600_000);
    expect(onboardingInfo['templateUrl']).toBe(onboarding.templateUrl);

    const url = new URL(String(onboardingInfo['quickCreateUrl']));
    expect(url.host).toBe('us-east-1.console.aws.amazon.com');
    const [route, query] = url.hash.slice(1).split('?') as [string, string];
    expect(route).toBe('/stacks/create/review');
    const params = new URLSearchParams(query);
    expect(params.get('templateURL')).toBe(onboarding.templateUrl);
    expect(params.get('stackName')).toBe('GroundworkOnboarding');
    expect(Object.fromEntries([...params].filter(([k]) => k.startsWith('param_')))).toEqual({
      param_GroundworkAccountId: body['id'],
      param_AllowedRegions: 'us-east-1',
      param_ExternalId: externalId,
      param_RegistrationToken: token,
      param_GroundworkServiceRoleArn: onboarding.serviceRoleArn,
      param_RegistrationTopicArn: onboarding.registrationTopicArn,
    });

    // Only the token's hash is stored, and the API never shows it again.
    const stored = await new DynamoDbAccountStore(table.dynamo, table.tableName).get(String(body['id']));
    expect(stored?.registrationTokenHash).toBe(hashRegistrationToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    const read = await api.get(apiEvent({ method: 'GET', path: `/v1/accounts/${String(body['id'])}`, tenant: 'acme', pathParameters: { id: String(body['id']) } }), lambdaContext());
    expect(read.body).not.toContain(token);
    expect(read.body).not.toContain('registrationTokenHash');
    expect(logLines.join('\n')).not.toContain(token);

    const [event] = publishedEvents();
    expect(event?.DetailType).toBe('Account Status Change');
    expect(event?.Source).toBe('groundwork');
    expect(eventDetailErrors('Account Status Change', event?.detail)).toEqual([]);
    expect(event?.detail).toMatchObject({ tenantId: 'acme', accountId: body['id'], status: 'AWAITING_CONNECTION' });
  });

  it('lets the customer name the regions Groundwork may use: on the record, in GET, and as the template\'s AllowedRegions', async () => {
    // Act
    const created = json(await createAccount('acme-regions', { awsAccountId: '123456789012', regions: ['eu-west-1', 'us-east-1'] }));
    const read = json(await api.get(apiEvent({ method: 'GET', path: `/v1/accounts/${String(created['id'])}`, tenant: 'acme-regions', pathParameters: { id: String(created['id']) } }), lambdaContext()));

    // Assess
    expect(created['regions']).toEqual(['eu-west-1', 'us-east-1']);
    expect(read['regions']).toEqual(['eu-west-1', 'us-east-1']);
    const onboardingInfo = created['onboarding'] as { quickCreateUrl: string; parameters: Record<string, string> };
    expect(onboardingInfo.parameters['AllowedRegions']).toBe('eu-west-1,us-east-1');
    expect(new URLSearchParams(new URL(onboardingInfo.quickCreateUrl).hash.split('?')[1]).get('param_AllowedRegions')).toBe('eu-west-1,us-east-1');
    expect((await new DynamoDbAccountStore(table.dynamo, table.tableName).get(String(created['id'])))?.regions).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('allows the default region when the customer names none', async () => {
    const created = json(await createAccount('acme-default-region', { awsAccountId: '123456789012' }));
    expect(created['regions']).toEqual(['us-east-1']);
  });

  it('gives every account its own ExternalId and token', async () => {
    const ids = new Set<string>();
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const body = json(await createAccount('acme-many', { awsAccountId: `20000000000${i}` }));
      ids.add(String(body['externalId']));
      tokens.add(String((body['onboarding'] as Record<string, unknown>)['registrationToken']));
    }
    expect(ids.size).toBe(5);
    expect(tokens.size).toBe(5);
  });

  it.each([
    ['malformed JSON', { rawBody: '{"awsAccountId": "1234' }, 400, 'body'],
    ['a short account id', { body: { awsAccountId: '12345' } }, 400, 'awsAccountId'],
    ['a missing account id', { body: { name: 'x' } }, 400, 'awsAccountId'],
    ['an ExternalId from the client', { body: { awsAccountId: '123456789012', externalId: 'mine' } }, 400, 'externalId'],
    ['an unknown field', { body: { awsAccountId: '123456789012', colour: 'blue' } }, 400, 'colour'],
    ['a name that is too long', { body: { awsAccountId: '123456789012', name: 'x'.repeat(65) } }, 400, 'name'],
    ['an array body', { body: [1, 2] }, 400, 'body'],
    ['a region that is not one', { body: { awsAccountId: '123456789012', regions: ['us-east-1', 'Frankfurt'] } }, 400, 'regions.1'],
    ['no region at all', { body: { awsAccountId: '123456789012', regions: [] } }, 400, 'regions'],
    ['a region named twice', { body: { awsAccountId: '123456789012', regions: ['us-east-1', 'us-east-1'] } }, 400, 'regions'],
    ['a region list of a string', { body: { awsAccountId: '123456789012', regions: 'us-east-1,eu-west-1' } }, 400, 'regions'],
    ['a region that would add a template parameter', { body: { awsAccountId: '123456789012', regions: ['us-east-1,eu-west-1'] } }, 400, 'regions.0'],
  ])('refuses %s with problem+json naming the field', async (_label, input, status, field) => {
    const response = await api.create(apiEvent({ method: 'POST', path: '/v1/accounts', tenant: 'acme-bad', ...input }), lambdaContext());
    expect(response.statusCode).toBe(status);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    const problem = json(response);
    expect(problem['status']).toBe(status);
    expect(problem['type']).toMatch(/^urn:groundwork:problem:/);
    expect((problem['errors'] as Array<{ field: string }>).map((e) => e.field)).toContain(field);
  });

  it('refuses an oversized body with 413 and a body that is not JSON with 415', async () => {
    const big = await api.create(apiEvent({ method: 'POST', path: '/v1/accounts', tenant: 'acme', body: { awsAccountId: '123456789012', name: 'x'.repeat(20_000) } }), lambdaContext());
    expect(big.statusCode).toBe(413);
    expect(big.headers?.['content-type']).toBe('application/problem+json');
    const text = await api.create(
      apiEvent({ method: 'POST', path: '/v1/accounts', tenant: 'acme', rawBody: 'awsAccountId=123456789012', headers: { 'content-type': 'text/plain' } }),
      lambdaContext(),
    );
    expect(text.statusCode).toBe(415);
  });

  it('refuses a request without a tenant claim', async () => {
    const response = await api.create(apiEvent({ method: 'POST', path: '/v1/accounts', tenant: null, body: { awsAccountId: '123456789012' } }), lambdaContext());
    expect(response.statusCode).toBe(403);
  });

  it('refuses to register the same AWS account twice for a tenant with 409 naming the existing account', async () => {
    const first = json(await createAccount('acme-dup', { awsAccountId: '333333333333' }));
    const second = await createAccount('acme-dup', { awsAccountId: '333333333333' });
    expect(second.statusCode).toBe(409);
    expect(String(json(second)['detail'])).toContain(String(first['id']));
  });

  it('hides internals when something unexpected fails, and leaves nothing half-created for the retry', async () => {
    eventBridgeMock.on(PutEventsCommand).rejects(new Error('secret internal detail'));
    const response = await createAccount('acme-500', { awsAccountId: '444444444444' });
    expect(response.statusCode).toBe(500);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.body).not.toContain('secret internal detail');
    expect(response.body).not.toContain('at ');

    eventBridgeMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const retry = await createAccount('acme-500', { awsAccountId: '444444444444' });
    expect(retry.statusCode).toBe(201);
    const list = json(await api.list(apiEvent({ method: 'GET', path: '/v1/accounts', tenant: 'acme-500' }), lambdaContext()));
    expect((list['items'] as unknown[]).length).toBe(1);
  });
});

describe('GET, list and DELETE /v1/accounts', () => {
  it('lists only the tenant\'s own accounts, page by page with nextToken', async () => {
    for (let i = 0; i < 5; i += 1) await createAccount('acme-list', { awsAccountId: `50000000000${i}` });
    await createAccount('globex-list', { awsAccountId: '500000000009' });

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await api.list(apiEvent({ method: 'GET', path: '/v1/accounts', tenant: 'acme-list', query: { limit: '2', ...(nextToken ? { nextToken } : {}) } }), lambdaContext());
      expect(page.statusCode).toBe(200);
      const body = json(page);
      const items = body['items'] as Array<{ awsAccountId: string }>;
      expect(items.length).toBeLessThanOrEqual(2);
      seen.push(...items.map((item) => item.awsAccountId));
      nextToken = body['nextToken'] as string | undefined;
    } while (nextToken);
    expect(seen.sort()).toEqual(['500000000000', '500000000001', '500000000002', '500000000003', '500000000004']);
  });

  it('keeps ExternalIds and token hashes out of the owner index, and still lists each account in full, in order (security review M1)', async () => {
    const created = [];
    for (let i = 0; i < 3; i += 1) created.push(json(await createAccount('acme-keys', { awsAccountId: `51000000000${i}` })));

    // What any role allowed to Query the index can read: keys, nothing else.
    const indexed = await table.dynamo.send(
      new QueryCommand({ TableName: table.tableName, IndexName: OWNER_INDEX, KeyConditionExpression: 'gsi1pk = :owner', ExpressionAttributeValues: { ':owner': tenantAccountsIndex('acme-keys') } }),
    );
    expect(indexed.Items).toHaveLength(3);
    for (const entry of indexed.Items ?? []) expect(Object.keys(entry).sort()).toEqual(['gsi1pk', 'gsi1sk', 'pk', 'sk']);
    expect(tableDefinition('any').GlobalSecondaryIndexes?.map((index) => index.Projection)).toEqual([{ ProjectionType: 'KEYS_ONLY' }]);

    // The list reads the items themselves: the same view as GET, oldest first.
    const listed = json(await api.list(apiEvent({ method: 'GET', path: '/v1/accounts', tenant: 'acme-keys' }), lambdaContext()))['items'] as Array<Record<string, unknown>>;
    const read = await Promise.all(created.map(async (account) => json(await api.get(apiEvent({ method: 'GET', path: `/v1/accounts/${String(account['id'])}`, tenant: 'acme-keys', pathParameters: { id: String(account['id']) } }), lambdaContext()))));
    expect(listed).toEqual(read);
    expect(listed.map((account) => account['externalId'])).toEqual(created.map((account) => account['externalId']));
  });

  it('refuses a forged nextToken and a bad limit, naming the field', async () => {
    const forged = await api.list(apiEvent({ method: 'GET', path: '/v1/accounts', tenant: 'acme', query: { nextToken: 'not-ours' } }), lambdaContext());
    expect(forged.statusCode).toBe(400);
    expect(json(forged)['errors']).toEqual([{ field: 'nextToken', message: expect.any(String) }]);
    const limit = await api.list(apiEvent({ method: 'GET', path: '/v1/accounts', tenant: 'acme', query: { limit: '1000' } }), lambdaContext());
    expect(limit.statusCode).toBe(400);
    expect((json(limit)['errors'] as Array<{ field: string }>)[0]?.field).toBe('limit');
  });

  it('refuses truncated, edited and borrowed nextTokens with a 400, never a 500 (security review L2)', async () => {
    // Prepare: a real token of tenant acme-cursor's listing
    for (let i = 0; i < 2; i += 1) await createAccount('acme-cursor', { awsAccountId: `51000000000${i}` });
    const list = (tenant: string, nextToken?: string) =>
      api.list(apiEvent({ method: 'GET', path: '/v1/accounts', tenant, query: { limit: '1', ...(nextToken ? { nextToken } : {}) } }), lambdaContext());
    const token = String(json(await list('acme-cursor'))['nextToken']);
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Record<string, string>;
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    // Act
    const answers = [
      await list('acme-cursor', token.slice(0, -5)),
      await list('acme-cursor', forge({ ...decoded, s: '' })),
      await list('acme-cursor', forge({ ...decoded, s: `${decoded['s']}x` })),
      await list('acme-cursor', forge({ ...decoded, id: '../x' })),
      await list('globex-cursor', token),
    ];

    // Assess
    for (const answer of answers) {
      expect(answer.statusCode).toBe(400);
      expect(json(answer)['errors']).toEqual([{ field: 'nextToken', message: expect.any(String) }]);
    }
    expect((await list('acme-cursor', token)).statusCode).toBe(200);
  });

  it('shows tenant B a 404 for tenant A\'s account, on read and on delete', async () => {
    const id = String(json(await createAccount('tenant-a', { awsAccountId: '600000000000' }))['id']);
    const read = await api.get(apiEvent({ method: 'GET', path: `/v1/accounts/${id}`, tenant: 'tenant-b', pathParameters: { id } }), lambdaContext());
    expect(read.statusCode).toBe(404);
    const missing = await api.get(apiEvent({ method: 'GET', path: '/v1/accounts/acc_00000000000000000000', tenant: 'tenant-b', pathParameters: { id: 'acc_00000000000000000000' } }), lambdaContext());
    expect(json(read)['detail']).toEqual(String(json(missing)['detail']).replace('acc_00000000000000000000', id));
    const remove = await api.remove(apiEvent({ method: 'DELETE', path: `/v1/accounts/${id}`, tenant: 'tenant-b', pathParameters: { id } }), lambdaContext());
    expect(remove.statusCode).toBe(404);
    const own = await api.get(apiEvent({ method: 'GET', path: `/v1/accounts/${id}`, tenant: 'tenant-a', pathParameters: { id } }), lambdaContext());
    expect(own.statusCode).toBe(200);
    expect(json(own)['id']).toBe(id);
  });

  it('refuses a malformed account id in the path', async () => {
    const response = await api.get(apiEvent({ method: 'GET', path: '/v1/accounts/../etc', tenant: 'acme', pathParameters: { id: '../etc' } }), lambdaContext());
    expect(response.statusCode).toBe(400);
    expect((json(response)['errors'] as Array<{ field: string }>)[0]?.field).toBe('id');
  });

  it('deletes an account (204, event) and frees its AWS account id for a new registration', async () => {
    const id = String(json(await createAccount('acme-del', { awsAccountId: '700000000000' }))['id']);
    eventBridgeMock.resetHistory();
    const removed = await api.remove(apiEvent({ method: 'DELETE', path: `/v1/accounts/${id}`, tenant: 'acme-del', pathParameters: { id } }), lambdaContext());
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBeUndefined();
    const [event] = publishedEvents();
    expect(event?.detail).toMatchObject({ accountId: id, status: 'DELETED', previousStatus: 'AWAITING_CONNECTION' });
    expect(eventDetailErrors('Account Status Change', event?.detail)).toEqual([]);
    const gone = await api.get(apiEvent({ method: 'GET', path: `/v1/accounts/${id}`, tenant: 'acme-del', pathParameters: { id } }), lambdaContext());
    expect(gone.statusCode).toBe(404);
    expect((await createAccount('acme-del', { awsAccountId: '700000000000' })).statusCode).toBe(201);
  });

  it('refuses to delete an account that still has live stacks (409)', async () => {
    const id = String(json(await createAccount('acme-live', { awsAccountId: '800000000000' }))['id']);
    await table.dynamo.send(
      new (await import('@aws-sdk/lib-dynamodb')).PutCommand({
        TableName: table.tableName,
        Item: { pk: 'STACK#stk_1', sk: 'STACK', gsi1pk: liveStacksIndex(id), gsi1sk: 'stk_1' },
      }),
    );
    const response = await api.remove(apiEvent({ method: 'DELETE', path: `/v1/accounts/${id}`, tenant: 'acme-live', pathParameters: { id } }), lambdaContext());
    expect(response.statusCode).toBe(409);
    expect(json(response)['type']).toBe('urn:groundwork:problem:account-has-live-stacks');
  });
});

describe('GET /v1/accounts/{id}: the onboarding template the account runs', () => {
  async function connected(tenant: string, awsAccountId: string, onboardingTemplateVersion?: number) {
    const id = String(json(await createAccount(tenant, { awsAccountId }))['id']);
    const store = new DynamoDbAccountStore(table.dynamo, table.tableName);
    const stored = await store.get(id);
    if (!stored) throw new Error('account not stored');
    await store.delete(stored);
    // An account registered before template versions was also created before regions.
    const { regions: _regions, ...withoutRegions } = stored;
    await store.create({
      ...(onboardingTemplateVersion === undefined ? withoutRegions : stored),
      status: 'CONNECTED',
      registrationStackId: `arn:aws:cloudformation:eu-west-1:${awsAccountId}:stack/GroundworkOnboarding/0a1b`,
      ...(onboardingTemplateVersion === undefined ? {} : { onboardingTemplateVersion }),
    }, { maxAccountsPerTenant: 50 });
    const response = await api.get(apiEvent({ method: 'GET', path: `/v1/accounts/${id}`, tenant, pathParameters: { id } }), lambdaContext());
    return json(response);
  }

  it('says an account on the current template is up to date, with nothing to do', async () => {
    const body = await connected('acme-tpl', '910000000001', ONBOARDING_TEMPLATE_VERSION);
    expect(body['onboardingTemplate']).toEqual({ version: ONBOARDING_TEMPLATE_VERSION, currentVersion: ONBOARDING_TEMPLATE_VERSION, outdated: false });
  });

  it('says an account registered before versions existed is outdated, what to do and where', async () => {
    const body = await connected('acme-tpl', '910000000002');
    expect(body['onboardingTemplate']).toEqual({
      version: 1,
      currentVersion: ONBOARDING_TEMPLATE_VERSION,
      outdated: true,
      action: expect.stringMatching(/^Update the GroundworkOnboarding stack in eu-west-1 .*current onboarding template/),
      stackUrl: `https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/stackinfo?stackId=${encodeURIComponent('arn:aws:cloudformation:eu-west-1:910000000002:stack/GroundworkOnboarding/0a1b')}`,
    });
    const listed = json(await api.list(apiEvent({ method: 'GET', path: '/v1/accounts', tenant: 'acme-tpl' }), lambdaContext()));
    expect((listed['items'] as Array<Record<string, unknown>>).map((item) => (item['onboardingTemplate'] as { outdated?: boolean } | undefined)?.outdated).sort()).toEqual([false, true]);
    // Its template lets Groundwork act in every region: it names none.
    expect(body['regions']).toBeUndefined();
    expect(body['status']).toBe('CONNECTED');
  });

  it('says nothing about a template before any stack has registered', async () => {
    const body = json(await createAccount('acme-tpl-new', { awsAccountId: '910000000003' }));
    expect(body['onboardingTemplate']).toBeUndefined();
  });
});

describe('POST /v1/accounts/{id}/registration-link', () => {
  it('gives a REVOKED account a fresh link (200, same onboarding as creation, same ExternalId, event); refuses it while the link runs (409)', async () => {
    // Prepare: an account whose onboarding stack was deleted
    const created = json(await createAccount('acme-link', { awsAccountId: '900000000000' }));
    const id = String(created['id']);
    const store = new DynamoDbAccountStore(table.dynamo, table.tableName);
    const stored = await store.get(id);
    await store.update(id, { set: { status: 'REVOKED', statusReason: 'The onboarding stack was deleted.', registrationStackId: 'arn:aws:cloudformation:us-east-1:900000000000:stack/x/y' } }, { version: stored?.version ?? 0 });
    eventBridgeMock.resetHistory();
    const post = (tenant: string) => api.newLink(apiEvent({ method: 'POST', path: `/v1/accounts/${id}/registration-link`, tenant, pathParameters: { id } }), lambdaContext());

    // Act
    const answer = await post('acme-link');

    // Assess
    expect(answer.statusCode).toBe(200);
    const body = json(answer);
    const onboarding = body['onboarding'] as Record<string, string>;
    expect(body).toMatchObject({ id, status: 'AWAITING_CONNECTION', externalId: created['externalId'] });
    expect(Object.keys(onboarding).sort()).toEqual(Object.keys(created['onboarding'] as object).sort());
    expect(onboarding['registrationToken']).not.toBe((created['onboarding'] as Record<string, string>)['registrationToken']);
    const after = await store.get(id);
    expect(after?.registrationTokenHash).toBe(hashRegistrationToken(onboarding['registrationToken'] ?? ''));
    expect(after?.registrationStackId).toBeUndefined();
    const [event] = publishedEvents();
    expect(event?.detail).toMatchObject({ accountId: id, status: 'AWAITING_CONNECTION', previousStatus: 'REVOKED' });
    expect(eventDetailErrors('Account Status Change', event?.detail)).toEqual([]);
    const again = await post('acme-link');
    expect(again.statusCode).toBe(409);
    expect(json(again)['type']).toBe('urn:groundwork:problem:registration-link-refused');
    expect((await post('someone-else')).statusCode).toBe(404);
  });

  it('keeps the account\'s regions in the fresh link, and gives an account from before regions the default one', async () => {
    // Prepare: two REVOKED accounts, one created with regions, one from before regions existed.
    const store = new DynamoDbAccountStore(table.dynamo, table.tableName);
    const revoke = async (id: string, remove: Array<'regions'>) => {
      const stored = await store.get(id);
      await store.update(id, { set: { status: 'REVOKED', registrationStackId: 'arn:aws:cloudformation:us-east-1:900000000001:stack/x/y' }, remove }, { version: stored?.version ?? 0 });
    };
    const withRegions = String(json(await createAccount('acme-link-regions', { awsAccountId: '900000000001', regions: ['eu-central-1'] }))['id']);
    const older = String(json(await createAccount('acme-link-regions', { awsAccountId: '900000000002' }))['id']);
    await revoke(withRegions, []);
    await revoke(older, ['regions']);
    const post = (id: string) => api.newLink(apiEvent({ method: 'POST', path: `/v1/accounts/${id}/registration-link`, tenant: 'acme-link-regions', pathParameters: { id } }), lambdaContext());

    // Act
    const kept = json(await post(withRegions));
    const defaulted = json(await post(older));

    // Assess
    expect(kept['regions']).toEqual(['eu-central-1']);
    expect((kept['onboarding'] as { parameters: Record<string, string> }).parameters['AllowedRegions']).toBe('eu-central-1');
    expect(defaulted['regions']).toEqual(['us-east-1']);
    expect((defaulted['onboarding'] as { parameters: Record<string, string> }).parameters['AllowedRegions']).toBe('us-east-1');
    expect((await store.get(older))?.regions).toEqual(['us-east-1']);
  });
});
