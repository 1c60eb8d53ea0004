import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createAccountRoute, deleteAccountRoute, getAccountRoute, listAccountsRoute, reissueRegistrationLinkRoute } from '../../src/accounts/account-routes';
import type { ApiEvent, ApiResult } from '../../src/http/api-handler';
import { createLogger } from '../../src/log/logger';
import { DynamoDbCidrRegistry } from '../../src/network/cidr-registry';
import { createPlanRoute } from '../../src/plans/plan-routes';
import { createStackRoute, deleteStackRoute, getStackRoute, listStacksRoute, stackEventsRoute } from '../../src/stacks/stack-routes';
import { readTemplate } from '../../src/cfn/read-template';
import { apiEvent, lambdaContext } from '../support/lambda';
import { createAccountInputSchema } from '../../src/accounts/create-account-input';
import { stackRequestSchema } from '../../src/model/stack-request';
import { OPTION_SETS } from '../../bench/makespan';
import { allCombinations } from '../templates/fixtures';
import { createWorkflowHarness, type Harness } from '../stacks/workflow/workflow-harness';
import { sandboxRegionOffers } from '../support/sandbox-region-offers';

/** openapi.yaml is the public contract: it lists exactly the deployed routes, and real answers fit it. */
type OpenApi = {
  paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: object }> }; responses: Record<string, { content?: Record<string, { schema: object }> } | { $ref: string }> }>>;
};
const doc = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as OpenApi;
const interop = <T>(module: T): T => (module as T & { default?: T }).default ?? module;
const ajv = new (interop(Ajv2020))({ strict: false, allErrors: true });
interop(addFormats)(ajv);
ajv.addSchema({ ...doc, $id: 'urn:groundwork:openapi' });

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const validatorFor = (schema: object) => ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"urn:groundwork:openapi#/components')) as object);

const requestValidators = new Map<string, ReturnType<typeof validatorFor>>();

/** What openapi.yaml says of a JSON request body: [] when it fits. */
function requestErrors(path: string, method: string, body: unknown): string[] {
  const media = doc.paths[path]?.[method]?.requestBody?.content['application/json'];
  if (!media) return [`${method.toUpperCase()} ${path} documents no JSON body`];
  const key = `${method} ${path}`;
  const validate = requestValidators.get(key) ?? validatorFor(media.schema);
  requestValidators.set(key, validate);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

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
  const validate = validatorFor(media.schema);
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
      // A body the contract refuses is the handler's 400, and a body it accepts is not.
      if (event.body) expect([`${method} ${path} body refused`, requestErrors(path, method, JSON.parse(event.body)).length > 0]).toEqual([`${method} ${path} body refused`, result.statusCode === 400]);
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
    // A connected account registered before templates carried a version: reported outdated.
    const connected = await call(accountRoutes.get, '/v1/accounts/{id}', 'get', apiEvent({ method: 'GET', path: `/v1/accounts/${account.id}`, tenant, pathParameters: { id: account.id } }));
    expect(connected['onboardingTemplate']).toMatchObject({ version: 1, outdated: true });
    const reissue = reissueRegistrationLinkRoute(h.accounts, options);
    const linkPath = '/v1/accounts/{id}/registration-link';
    await call(reissue, linkPath, 'post', apiEvent({ method: 'POST', path: `/v1/accounts/${id}/registration-link`, tenant, pathParameters: { id } }));
    const revoked = await h.connectedAccount(undefined, 'REVOKED');
    await call(reissue, linkPath, 'post', apiEvent({ method: 'POST', path: `/v1/accounts/${revoked.id}/registration-link`, tenant: revoked.tenantId, pathParameters: { id: revoked.id } }));

    const plan = createPlanRoute({ accounts: h.accounts, cidrs: new DynamoDbCidrRegistry(h.table.dynamo, h.table.tableName), regions: sandboxRegionOffers() }, options);
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

describe('openapi.yaml request bodies', () => {
  const accountId = 'acc_abcdefghij0123456789';

  it('accept what the demo, the bench and the tests send', () => {
    // Prepare: the demo's bodies, the bench's option sets, and every option combination as a stack echoes it.
    const stackBodies = [
      { name: 'shop', accountId },
      ...OPTION_SETS.map((set) => ({ name: 'bench', accountId, ...set.request })),
      ...allCombinations().map((combination) => combination.input.request),
    ];

    // Act
    const refused = [
      ...stackBodies.flatMap((body) => [...requestErrors('/v1/stacks', 'post', body), ...requestErrors('/v1/plans', 'post', body)]),
      ...requestErrors('/v1/accounts', 'post', { awsAccountId: '123456789012', name: 'demo' }),
    ];

    // Assess
    expect(stackBodies.length).toBeGreaterThan(300);
    expect(refused).toEqual([]);
  });

  // Each body is refused by the handler's schema; the contract must refuse it too.
  const refusedStacks: Array<[string, unknown]> = [
    ['no body fields', {}],
    ['an unknown field', { name: 'shop', accountId, colour: 'blue' }],
    ['an unknown nested field', { name: 'shop', accountId, network: { nat: 'none', vpn: true } }],
    ['a bad name', { name: 'Web!', accountId }],
    ['a bad account id', { name: 'shop', accountId: 'x' }],
    ['a bad region', { name: 'shop', accountId, region: 'mars' }],
    ['a NAT mode that does not exist', { name: 'shop', accountId, network: { nat: 'maybe' } }],
    ['one AZ', { name: 'shop', accountId, network: { azCount: 1 } }],
    ['a CIDR that is not one', { name: 'shop', accountId, network: { cidr: '10.0.0.0' } }],
    ['a fractional instance count', { name: 'shop', accountId, compute: { min: 1.5 } }],
    ['a port out of range', { name: 'shop', accountId, compute: { containerPort: 70000 } }],
    ['another database engine', { name: 'shop', accountId, database: { engine: 'mysql' } }],
    ['too little storage', { name: 'shop', accountId, database: { storageGb: 10 } }],
    ['a certificate that is not an ACM ARN', { name: 'shop', accountId, frontend: { certificateArn: 'arn:aws:iam::123456789012:role/x' } }],
    ['a key name that is a dynamic reference', { name: 'shop', accountId, bastion: { enabled: true, allowedCidr: '203.0.113.0/24', keyName: '{{resolve:ssm:k}}' } }],
  ];
  it.each(refusedStacks)('refuse a stack request with %s, as the handler does', (_, body) => {
    expect(stackRequestSchema.safeParse(body).success).toBe(false);
    expect(requestErrors('/v1/stacks', 'post', body)).not.toEqual([]);
  });

  it('refuse an account body the handler refuses', () => {
    for (const body of [{}, { awsAccountId: 'x' }, { awsAccountId: '123456789012', externalId: 'mine' }, { awsAccountId: '123456789012', name: 'a/b' }]) {
      expect([body, createAccountInputSchema.safeParse(body).success, requestErrors('/v1/accounts', 'post', body).length > 0]).toEqual([body, false, true]);
    }
  });

  it('leave to the handler what one field alone cannot say (rules across fields)', () => {
    // A JSON Schema of each field cannot tell these apart from valid requests; the handler's 400 names the field.
    const acrossFields = { name: 'shop', accountId, compute: null, frontend: { type: 'alb' } };
    expect(stackRequestSchema.safeParse(acrossFields).success).toBe(false);
    expect(requestErrors('/v1/stacks', 'post', acrossFields)).toEqual([]);
  });
});
