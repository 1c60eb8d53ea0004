import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { FunctionInvoker } from '../../../local/contracts';
import { createEphemeralSigningKey } from '../../../local/auth/local-signing-key';
import type { HttpApiEvent } from '../../../local/api/api-gateway-event';
import { API_GATEWAY_MAX_BODY_BYTES, PortInUseError, startLocalApi, type LocalApi } from '../../../local/api/local-api-server';
import { readServiceDefinition } from '../../../local/runtime/service-definition';

/** The local API in front of a fake invoker: what API Gateway would hand the functions, and its own answers. */
const key = createEphemeralSigningKey();
const token = await key.issueToken({ tenant: 'acme', subject: 'alice' });
const auth = { authorization: `Bearer ${token}` };

interface Call {
  functionName: string;
  event: HttpApiEvent;
}

let calls: Call[];
let answer: (call: Call) => Promise<unknown>;
let api: LocalApi;

const invoker: FunctionInvoker = {
  invoke: async (functionName, event) => {
    const call = { functionName, event: event as HttpApiEvent };
    calls.push(call);
    return answer(call);
  },
};

beforeAll(async () => {
  api = await startLocalApi({ port: 0, invoker, verifier: key, routes: readServiceDefinition().httpRoutes, maxBodyBytes: 64 * 1024, integrationTimeoutMs: 300 });
});
afterAll(() => api.close());
beforeEach(() => {
  calls = [];
  answer = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json', 'X-Request-Id': 'r-1' }, body: '{"ok":true}' });
});

async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const response = await fetch(`${api.url}${path}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('the local HTTP API', () => {
  it('listens on 127.0.0.1', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('routes by method and path template to the function serverless.yml names, with its path parameters', async () => {
    await call('GET', '/v1/accounts/acc_abc', { headers: auth });
    await call('GET', '/v1/stacks/stk-1/events', { headers: auth });
    await call('GET', '/v1/stacks/stk-1', { headers: auth });
    await call('DELETE', '/v1/stacks/stk%2D2', { headers: auth });
    await call('GET', '/v1/accounts', { headers: auth });

    expect(calls.map((c) => [c.functionName, c.event.routeKey, c.event.pathParameters])).toEqual([
      ['getAccount', 'GET /v1/accounts/{id}', { id: 'acc_abc' }],
      ['stackEvents', 'GET /v1/stacks/{id}/events', { id: 'stk-1' }],
      ['getStack', 'GET /v1/stacks/{id}', { id: 'stk-1' }],
      ['deleteStack', 'DELETE /v1/stacks/{id}', { id: 'stk-2' }],
      ['listAccounts', 'GET /v1/accounts', undefined],
    ]);
  });

  it('hands over a payload 2.0 event: raw path and query, lowercased headers, the body, and the verified claims', async () => {
    const response = await call('POST', '/v1/stacks?dryRun=1&tag=a&tag=b', {
      headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1', Cookie: 'a=1; b=2' },
      body: '{"name":"web"}',
    });

    expect(response.status).toBe(200);
    const [{ functionName, event } = { functionName: '', event: undefined }] = calls;
    expect(functionName).toBe('createStack');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/stacks',
      rawPath: '/v1/stacks',
      rawQueryString: 'dryRun=1&tag=a&tag=b',
      queryStringParameters: { dryRun: '1', tag: 'a,b' },
      cookies: ['a=1', 'b=2'],
      body: '{"name":"web"}',
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: '/v1/stacks', sourceIp: '127.0.0.1' },
        routeKey: 'POST /v1/stacks',
        stage: '$default',
        authorizer: { jwt: { claims: { tenant: 'acme', sub: 'alice', iss: 'groundwork-local', aud: 'groundwork' } } },
      },
    });
    expect(event?.headers).toMatchObject({ 'content-type': 'application/json', 'idempotency-key': 'k-1', authorization: `Bearer ${token}` });
    expect(Object.keys(event?.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true);
    // API Gateway passes numeric claims as strings.
    expect(typeof event?.requestContext.authorizer.jwt.claims['exp']).toBe('string');
    expect(event?.pathParameters).toBeUndefined();
  });

  it("writes the function's status, headers and body", async () => {
    answer = async () => ({ statusCode: 409, headers: { 'Content-Type': 'application/problem+json', location: '/x' }, body: '{"title":"Conflict"}' });
    const response = await call('DELETE', '/v1/accounts/acc_1', { headers: auth });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('location')).toBe('/x');
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
    expect(response.json).toEqual({ title: 'Conflict' });
  });

  it('answers 204 with no body, and a plain object result as JSON with 200', async () => {
    answer = async () => ({ statusCode: 204 });
    expect((await call('DELETE', '/v1/accounts/acc_1', { headers: auth })).text).toBe('');
    answer = async () => ({ items: [] });
    const plain = await call('GET', '/v1/accounts', { headers: auth });
    expect([plain.status, plain.headers.get('content-type'), plain.json]).toEqual([200, 'application/json', { items: [] }]);
  });

  it('answers 401 {"message":"Unauthorized"} without calling the function when the token is missing, malformed, expired or foreign', async () => {
    const expired = await key.issueToken({ tenant: 'acme', ttlSeconds: 1, now: new Date(Date.now() - 5000) });
    const foreign = await createEphemeralSigningKey().issueToken({ tenant: 'acme' });
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer' }, { authorization: 'Bearer nope' }, { authorization: `Bearer ${expired}` }, { authorization: `Bearer ${foreign}` }]) {
      const response = await call('GET', '/v1/accounts', { headers });
      expect([response.status, response.json]).toEqual([401, { message: 'Unauthorized' }]);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(calls).toHaveLength(0);
  });

  it('answers 404 {"message":"Not Found"} for a path or method no route declares, token or not', async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/v1/nothing'], ['PUT', '/v1/accounts'], ['GET', '/v1/accounts/a/b'], ['GET', '/v1/accounts/']]) {
      const response = await call(method ?? 'GET', path ?? '/', { headers: auth });
      expect([method, path, response.status, response.json]).toEqual([method, path, 404, { message: 'Not Found' }]);
    }
    expect((await call('GET', '/v1/nothing')).status).toBe(404);
    expect(calls).toHaveLength(0);
  });

  it('refuses a body over the limit with 413, whether declared up front or streamed', async () => {
    const big = 'x'.repeat(64 * 1024 + 1);
    const declared = await call('POST', '/v1/plans', { headers: { ...auth, 'content-type': 'application/json' }, body: big });
    expect([declared.status, declared.json]).toEqual([413, { message: 'Request Entity Too Large' }]);

    // Chunked: no content-length, so the limit is found while reading.
    const streamed = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${api.url}/v1/plans`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      for (let i = 0; i < 20; i += 1) request.write('y'.repeat(8 * 1024));
      request.end();
    });
    expect(streamed).toBe(413);

    const fits = await call('POST', '/v1/plans', { headers: { ...auth, 'content-type': 'application/json' }, body: 'x'.repeat(64 * 1024) });
    expect(fits.status).toBe(200);
    expect(calls.map((c) => c.functionName)).toEqual(['createPlan']);
  });

  it("takes API Gateway's 10 MB payload limit by default", async () => {
    const defaults = await startLocalApi({ port: 0, invoker, verifier: key, routes: readServiceDefinition().httpRoutes });
    try {
      const send = (bytes: number) =>
        fetch(`${defaults.url}/v1/plans`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: Buffer.alloc(bytes, 0x20) });
      expect((await send(API_GATEWAY_MAX_BODY_BYTES)).status).toBe(200);
      expect((await send(API_GATEWAY_MAX_BODY_BYTES + 1)).status).toBe(413);
      expect(API_GATEWAY_MAX_BODY_BYTES).toBe(10 * 1024 * 1024);
    } finally {
      await defaults.close();
    }
  });

  it("answers 500 {\"message\":\"Internal Server Error\"} when the function throws, and 503 past the integration timeout", async () => {
    answer = async () => {
      throw new Error('boom: secret internals');
    };
    const failed = await call('GET', '/v1/accounts', { headers: auth });
    expect([failed.status, failed.json]).toEqual([500, { message: 'Internal Server Error' }]);

    answer = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 1000));
    const slow = await call('GET', '/v1/accounts', { headers: auth });
    expect([slow.status, slow.json]).toEqual([503, { message: 'Service Unavailable' }]);
  });

  it('says which port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(startLocalApi({ port, invoker, verifier: key, routes: [] })).rejects.toThrow(PortInUseError);
      await expect(startLocalApi({ port, invoker, verifier: key, routes: [] })).rejects.toThrow(`port ${port}`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
