import type { ApiResult } from '../../src/http/api-handler';
import { createLogger } from '../../src/log/logger';
import { createStackRoute, deleteStackRoute, getStackRoute, listStacksRoute, stackEventsRoute } from '../../src/stacks/stack-routes';
import { apiEvent, lambdaContext } from '../support/lambda';
import { createWorkflowHarness, type Harness } from './workflow/workflow-harness';

let h: Harness;
let routes: ReturnType<typeof makeRoutes>;
const makeRoutes = () => {
  const options = { logger: createLogger({ level: 'warn', write: () => undefined }), tenantClaim: 'tenant' };
  return {
    create: createStackRoute(h.stacks, options),
    list: listStacksRoute(h.stacks, options),
    get: getStackRoute(h.stacks, options),
    events: stackEventsRoute(h.stacks, options),
    remove: deleteStackRoute(h.stacks, options),
  };
};
beforeAll(async () => {
  h = await createWorkflowHarness();
  routes = makeRoutes();
});
afterAll(async () => h.close());

const json = (result: ApiResult) => JSON.parse(result.body ?? 'null') as Record<string, unknown>;

describe('the stack routes', () => {
  it('POST answers 202 with a Location, GET shows the steps, events list the history', async () => {
    const account = await h.connectedAccount();
    const created = await routes.create(
      apiEvent({ method: 'POST', path: '/v1/stacks', tenant: account.tenantId, body: { name: 'web', accountId: account.id }, headers: { 'idempotency-key': 'k-1' } }),
      lambdaContext(),
    );
    expect(created.statusCode).toBe(202);
    const id = String(json(created)['id']);
    expect(id).toMatch(/^stk-[a-z0-9]{20}$/);
    expect(created.headers?.['location']).toBe(`/v1/stacks/${id}`);
    await h.settle();

    const read = json(await routes.get(apiEvent({ method: 'GET', path: `/v1/stacks/${id}`, tenant: account.tenantId, pathParameters: { id } }), lambdaContext()));
    expect(read['status']).toBe('CREATE_COMPLETE');
    const steps = read['steps'] as Array<Record<string, unknown>>;
    expect(steps.find((s) => s['component'] === 'network')).toMatchObject({ status: 'COMPLETE', cloudFormationStackName: `groundwork-${id}-network` });
    expect(JSON.stringify(read)).not.toContain('deleteAttempts');

    const events = json(await routes.events(apiEvent({ method: 'GET', path: `/v1/stacks/${id}/events`, tenant: account.tenantId, pathParameters: { id } }), lambdaContext()));
    const items = events['items'] as Array<Record<string, unknown>>;
    expect(items[0]).toMatchObject({ type: 'Stack Status Change', status: 'CREATE_IN_PROGRESS' });
    expect(items.at(-1)).toMatchObject({ type: 'Stack Status Change', status: 'CREATE_COMPLETE' });

    const list = json(await routes.list(apiEvent({ method: 'GET', path: '/v1/stacks', tenant: account.tenantId }), lambdaContext()));
    expect((list['items'] as Array<{ id: string }>).map((s) => s.id)).toEqual([id]);
  });

  it('shows another tenant\'s stack as a 404 on every route', async () => {
    const account = await h.connectedAccount();
    const id = String(json(await routes.create(apiEvent({ method: 'POST', path: '/v1/stacks', tenant: account.tenantId, body: { name: 'web', accountId: account.id } }), lambdaContext()))['id']);
    await h.settle();
    for (const route of [routes.get, routes.events, routes.remove]) {
      const answer = await route(apiEvent({ method: 'GET', path: `/v1/stacks/${id}`, tenant: 'someone-else', pathParameters: { id } }), lambdaContext());
      expect(answer.statusCode).toBe(404);
    }
    const list = json(await routes.list(apiEvent({ method: 'GET', path: '/v1/stacks', tenant: 'someone-else' }), lambdaContext()));
    expect(list['items']).toEqual([]);
    // And creating in another tenant's account is a 404 too.
    const foreign = await routes.create(apiEvent({ method: 'POST', path: '/v1/stacks', tenant: 'someone-else', body: { name: 'web', accountId: account.id } }), lambdaContext());
    expect(foreign.statusCode).toBe(404);
  });

  it('refuses forged, truncated and borrowed nextTokens with a 400 naming nextToken, never a 500 (security review L2)', async () => {
    // Prepare: two stacks of one tenant, and real tokens of their listings
    const account = await h.connectedAccount();
    const ids: string[] = [];
    for (const name of ['one', 'two']) ids.push(String(json(await routes.create(apiEvent({ method: 'POST', path: '/v1/stacks', tenant: account.tenantId, body: { name, accountId: account.id } }), lambdaContext()))['id']));
    await h.settle();
    const listToken = String(json(await routes.list(apiEvent({ method: 'GET', path: '/v1/stacks', tenant: account.tenantId, query: { limit: '1' } }), lambdaContext()))['nextToken']);
    const [first = '', second = ''] = ids;
    const eventsOf = (id: string, tenant: string, nextToken?: string) =>
      routes.events(apiEvent({ method: 'GET', path: `/v1/stacks/${id}/events`, tenant, pathParameters: { id }, query: { limit: '1', ...(nextToken ? { nextToken } : {}) } }), lambdaContext());
    const eventsToken = String(json(await eventsOf(first, account.tenantId))['nextToken']);
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const decoded = JSON.parse(Buffer.from(listToken, 'base64url').toString('utf8')) as Record<string, string>;

    // Act
    const lists = await Promise.all(
      [
        'garbage!',
        listToken.slice(0, -6),
        forge({ ...decoded, s: '' }),
        forge({ ...decoded, id: 'stk-aaaaaaaaaaaaaaaaaaaa' }),
        forge({ s: decoded['s'], id: decoded['id'] }),
      ].map((nextToken) => routes.list(apiEvent({ method: 'GET', path: '/v1/stacks', tenant: account.tenantId, query: { nextToken } }), lambdaContext())),
    );
    const borrowed = await routes.list(apiEvent({ method: 'GET', path: '/v1/stacks', tenant: 'someone-else', query: { nextToken: listToken } }), lambdaContext());
    const events = [
      await eventsOf(first, account.tenantId, forge({ ...(JSON.parse(Buffer.from(eventsToken, 'base64url').toString('utf8')) as object), s: 'STACK' })),
      await eventsOf(second, account.tenantId, eventsToken),
      await eventsOf(first, account.tenantId, eventsToken.slice(0, 10)),
    ];

    // Assess
    for (const answer of [...lists, borrowed, ...events]) {
      expect(answer.statusCode).toBe(400);
      expect(answer.headers?.['content-type']).toMatch(/problem\+json/);
      expect(json(answer)['errors']).toEqual([{ field: 'nextToken', message: expect.any(String) }]);
    }
    // The genuine tokens still page.
    expect((await routes.list(apiEvent({ method: 'GET', path: '/v1/stacks', tenant: account.tenantId, query: { nextToken: listToken } }), lambdaContext())).statusCode).toBe(200);
    expect((await eventsOf(first, account.tenantId, eventsToken)).statusCode).toBe(200);
  });

  it('creates stacks only in the regions the account lets Groundwork deploy to: a 400 on region naming them, nothing stored', async () => {
    // Prepare: an account onboarded for two regions, and one from before regions existed.
    const account = await h.connectedAccount(undefined, 'CONNECTED', { regions: ['eu-west-1', 'us-east-2'] });
    const older = await h.connectedAccount();
    const create = (accountId: string, tenant: string, region: string) =>
      routes.create(apiEvent({ method: 'POST', path: '/v1/stacks', tenant, body: { name: 'web', accountId, region } }), lambdaContext());

    // Act
    const outside = await create(account.id, account.tenantId, 'us-east-1');
    const inside = await create(account.id, account.tenantId, 'us-east-2');
    const anywhere = await create(older.id, older.tenantId, 'eu-west-1');
    await h.settle();

    // Assess
    expect(outside.statusCode).toBe(400);
    expect(outside.headers?.['content-type']).toBe('application/problem+json');
    expect(json(outside)['errors']).toEqual([{ field: 'region', message: `must be one of the regions account ${account.id} lets Groundwork deploy to: eu-west-1, us-east-2 (not us-east-1)` }]);
    expect(inside.statusCode).toBe(202);
    expect(anywhere.statusCode).toBe(202);
    const listed = json(await routes.list(apiEvent({ method: 'GET', path: '/v1/stacks', tenant: account.tenantId }), lambdaContext()));
    expect((listed['items'] as Array<{ region: string }>).map((stack) => stack.region)).toEqual(['us-east-2']);
  });

  it('answers bad requests with problem+json naming each field', async () => {
    const response = await routes.create(
      apiEvent({ method: 'POST', path: '/v1/stacks', tenant: 'acme', body: { name: 'Web!', accountId: 'x', network: { nat: 'maybe' } }, headers: { 'idempotency-key': 'k 1' } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    const fields = (json(response)['errors'] as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['accountId', 'name', 'network.nat']);

    const badKey = await routes.create(apiEvent({ method: 'POST', path: '/v1/stacks', tenant: 'acme', body: { name: 'web', accountId: 'acc_00000000000000000000' }, headers: { 'idempotency-key': 'has spaces' } }), lambdaContext());
    expect(badKey.statusCode).toBe(400);
    expect(json(badKey)['errors']).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);

    const badId = await routes.get(apiEvent({ method: 'GET', path: '/v1/stacks/x', tenant: 'acme', pathParameters: { id: 'stk_old-style' } }), lambdaContext());
    expect(badId.statusCode).toBe(400);
  });
});
