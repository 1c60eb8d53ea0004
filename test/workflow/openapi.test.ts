import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createAccountRoute, deleteAccountRoute, getAccountRoute, listAccountsRoute } from '../../src/accounts/account-routes';
import type { ApiEvent, ApiResult } from '../../src/http/api-handler';
import { createLogger } from '../../src/log/logger';
import { DynamoDbCidrRegistry } from '../../src/network/cidr-registry';
import { createPlanRoute } from '../../src/plans/plan-routes';
import { createStackRoute, deleteStackRoute, getStackRoute, listStacksRoute, stackEventsRoute } from '../../src/stacks/stack-routes';
import { readTemplate } from '../../src/cfn/read-template';
import { apiEvent, lambdaContext } from '../support/lambda';
import { createWorkflowHarness, type Harness } from './workflow-harness';

/** openapi.yaml is the public contract: it lists exactly the deployed routes, and real answers fit it. */
type OpenApi = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, { content?: Record<string, { schema: object }> } | { $ref: string }> }>> };
const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as OpenApi;
const interop = <T>(module: T): T => (module as T & { default?: T }).default ?? module;
const ajv = new (interop(Ajv2020))({ strict: false, allErrors: true });
interop(addFormats)(ajv);
ajv.addSchema({ ...doc, $id: 'urn:groundwork:openapi' });

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function responseErrors(path: string, method: string, result: ApiResult): string[] {
  const operation = doc.paths[path]?.[method];
  if (!operation) return [`${method.toUpperCase()} ${path} is not documented`];
  let response = operation.responses[String(result.statusCode)];
  if (!response) return [`${method.toUpperCase()} ${path} does not document ${result.statusCode}`];
  if ('$ref' in response) response = { content: { 'application/problem+json': { schema: { $ref: `urn:groundwork:openapi${response.$ref.replace('responses/Problem', 'schemas/Problem')}` } } } };
  const content = response.content;
  if (!content) return result.body === undefined ? [] : ['a body where none is documented'];
  const type = String(result.headers?.['content-type'] ?? '');
  const media = content[type];
  if (!media) return [`content-type ${type} is not documented`];
  const schema = JSON.parse(JSON.stringify(media.schema).replaceAll('"#/components', '"urn:groundwork:openapi#/components')) as object;
  const validate = ajv.compile(schema);
  return validate(JSON.parse(result.body ?? 'null')) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

let h: Harness;
beforeAll(async () => {
  h = await createWorkflowHarness();
});
afterAll(async () => h.close());

describe('openapi.yaml', () => {
  it('documents exactly the routes serverless.yml deploys', () => {
    const service = readTemplate(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as unknown as {
      functions: Record<string, { events?: Array<{ httpApi?: { method: string; path: string } }> }>;
    };
    const deployed = Object.values(service.functions).flatMap((fn) => (fn.events ?? []).flatMap((e) => (e.httpApi ? [`${e.httpApi.method.toUpperCase()} ${e.httpApi.path}`] : [])));
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => METHODS.includes(k)).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(deployed.sort());
  });

  it('describes what the handlers really answer, success and problem alike', async () => {
    const logger = createLogger({ level: 'error', write: () => undefined });
    const options = { logger, tenantClaim: 'tenant' };
    const call = async (route: (event: ApiEvent, context: ReturnType<typeof lambdaContext>) => Promise<ApiResult>, path: string, method: string, event: ApiEvent) => {
      const result = await route(event, lambdaContext());
      expect([`${method} ${path} → ${result.statusCode}`, responseErrors(path, method, result)]).toEqual([`${method} ${path} → ${result.statusCode}`, []]);
      return JSON.parse(result.body ?? 'null') as Record<string, unknown>;
    };

    const account = await h.connectedAccount();
    const tenant = account.tenantId;
    const accountRoutes = { create: createAccountRoute(h.accounts, options), list: listAccountsRoute(h.accounts, options), get: getAccountRoute(h.accounts, options), remove: deleteAccountRoute(h.accounts, options) };
    const created = await call(accountRoutes.create, '/v1/accounts', 'post', apiEvent({ method: 'POST', path: '/v1/accounts', tenant, body: { awsAccountId: '210987654321', name: 'staging' } }));
    await call(accountRoutes.create, '/v1/accounts', 'post', apiEvent({ method: 'POST', path: '/v1/accounts', tenant, body: { awsAccountId: 'x' } }));
    await call(accountRoutes.list, '/v1/accounts', 'get', apiEvent({ method: 'GET', path: '/v1/accounts', tenant }));
    const id = String(created['id']);
    await call(accountRoutes.get, '/v1/accounts/{id}', 'get', apiEvent({ method: 'GET', path: `/v1/accounts/${id}`, tenant, pathParameters: { id } }));
    await call(accountRoutes.get, '/v1/accounts/{id}', 'get', apiEvent({ method: 'GET', path: `/v1/accounts/${id}`, tenant: 'other', pathParameters: { id } }));

    const plan = createPlanRoute({ accounts: h.accounts, cidrs: new DynamoDbCidrRegistry(h.table.dynamo, h.table.tableName) }, options);
    await call(plan, '/v1/plans', 'post', apiEvent({ method: 'POST', path: '/v1/plans', tenant, body: { name: 'shop', accountId: account.id } }));

    const stackRoutes = { create: createStackRoute(h.stacks, options), list: listStacksRoute(h.stacks, options), get: getStackRoute(h.stacks, options), events: stackEventsRoute(h.stacks, options), remove: deleteStackRoute(h.stacks, options) };
    const stack = await call(stackRoutes.create, '/v1/stacks', 'post', apiEvent({ method: 'POST', path: '/v1/stacks', tenant, body: { name: 'shop', accountId: account.id }, headers: { 'idempotency-key': 'o-1' } }));
    const stackId = String(stack['id']);
    await call(stackRoutes.remove, '/v1/stacks/{id}', 'delete', apiEvent({ method: 'DELETE', path: `/v1/stacks/${stackId}`, tenant, pathParameters: { id: stackId } }));
    await h.settle();
    await call(stackRoutes.get, '/v1/stacks/{id}', 'get', apiEvent({ method: 'GET', path: `/v1/stacks/${stackId}`, tenant, pathParameters: { id: stackId } }));
    await call(stackRoutes.list, '/v1/stacks', 'get', apiEvent({ method: 'GET', path: '/v1/stacks', tenant }));
    await call(stackRoutes.events, '/v1/stacks/{id}/events', 'get', apiEvent({ method: 'GET', path: `/v1/stacks/${stackId}/events`, tenant, pathParameters: { id: stackId } }));
    await call(stackRoutes.remove, '/v1/stacks/{id}', 'delete', apiEvent({ method: 'DELETE', path: `/v1/stacks/${stackId}`, tenant, pathParameters: { id: stackId } }));
    await call(accountRoutes.remove, '/v1/accounts/{id}', 'delete', apiEvent({ method: 'DELETE', path: `/v1/accounts/${id}`, tenant, pathParameters: { id } }));
  });

  it('the check fails on an answer that does not fit', () => {
    const wrong: ApiResult = { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'nope' }) };
    expect(responseErrors('/v1/accounts/{id}', 'get', wrong).length).toBeGreaterThan(0);
    expect(responseErrors('/v1/accounts/{id}', 'get', { ...wrong, statusCode: 418 })).toEqual(['GET /v1/accounts/{id} does not document 418']);
  });
});
