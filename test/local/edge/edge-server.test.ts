import type { AwsRequest, AwsService } from '../../../local/contracts';
import { parseCredentialScope, queryMembers, toXml } from '../../../local/edge/aws-protocols';
import { startEdgeServer, type EdgeServer } from '../../../local/edge/edge-server';
import { EdgeConfigurationError } from '../../../local/edge/errors';
import { authorization } from './edge-support';

/** A service that says what it received. */
const echo: AwsService = {
  signingNames: ['echo'],
  handle: async (request: AwsRequest) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) }),
};
const failing: AwsService = {
  signingNames: ['failing'],
  handle: async () => {
    throw new Error('secret internals at /home/me/file.ts:12');
  },
};

let edge: EdgeServer;

beforeAll(async () => {
  edge = await startEdgeServer({
    port: 0,
    services: [echo, failing],
    routes: [
      { prefix: '/_groundwork/', handle: async (request) => (request.path.endsWith('/pass') ? undefined : { status: 200, headers: { 'content-type': 'text/plain' }, body: `route ${request.method} ${request.path}` }) },
    ],
  });
});

afterAll(async () => {
  await edge.close();
});

describe('the edge endpoint', () => {
  it('listens on the loopback interface only', async () => {
    expect(new URL(edge.url).hostname).toBe('127.0.0.1');
    await expect(startEdgeServer({ host: '0.0.0.0', port: 0, services: [] })).rejects.toBeInstanceOf(EdgeConfigurationError);
  });

  it('dispatches by the signing service of the SigV4 credential scope, with region and account', async () => {
    const response = await fetch(`${edge.url}/some/path?a=1&b=two`, {
      method: 'POST',
      headers: { authorization: authorization('echo', '123456789012').replace('us-east-1', 'eu-west-1'), 'x-amz-target': 'Echo.Hello', 'content-type': 'application/x-amz-json-1.0' },
      body: '{"hello":"world"}',
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toMatchObject({
      method: 'POST',
      path: '/some/path',
      query: { a: '1', b: 'two' },
      headers: { 'x-amz-target': 'Echo.Hello' },
      body: '{"hello":"world"}',
      service: 'echo',
      region: 'eu-west-1',
      accessKeyId: '123456789012',
    });
  });

  it('sends paths under a route prefix to the route first', async () => {
    const routed = await fetch(`${edge.url}/_groundwork/templates/x.yaml`);
    const passed = await fetch(`${edge.url}/_groundwork/pass`, { headers: { authorization: authorization('echo') } });

    expect(await routed.text()).toBe('route GET /_groundwork/templates/x.yaml');
    expect(((await passed.json()) as { service: string }).service).toBe('echo');
  });

  it('answers AWS-style errors: unknown service, no credentials, a service failure without its details', async () => {
    const unknown = await fetch(`${edge.url}/`, { method: 'POST', headers: { authorization: authorization('lambda'), 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    const anonymous = await fetch(`${edge.url}/?Action=Publish`);
    const broken = await fetch(`${edge.url}/`, { method: 'POST', headers: { authorization: authorization('failing'), 'x-amz-target': 'X.Y' }, body: '{}' });

    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownService');
    expect(((await unknown.json()) as { message: string }).message).toMatch(/'lambda'.*echo, failing/);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(broken.status).toBe(500);
    const body = await broken.text();
    expect(body).toContain('InternalFailure');
    expect(body).not.toContain('secret internals');
  });

  it('refuses a body larger than 2 MB with 413', async () => {
    const response = await fetch(`${edge.url}/`, { method: 'POST', headers: { authorization: authorization('echo') }, body: 'x'.repeat(2 * 1024 * 1024 + 1) });

    expect(response.status).toBe(413);
    expect(await response.text()).toContain('RequestEntityTooLarge');
  });
});

describe('the AWS protocol helpers', () => {
  it('reads the credential scope from a header or a presigned URL', () => {
    expect(parseCredentialScope({ authorization: authorization('states', '123456789012') })).toEqual({ accessKeyId: '123456789012', date: '20250101', region: 'us-east-1', service: 'states' });
    expect(parseCredentialScope({}, { 'X-Amz-Credential': '000000000000/20250101/eu-west-1/sts/aws4_request' })).toMatchObject({ service: 'sts', region: 'eu-west-1' });
    expect(parseCredentialScope({ authorization: 'Bearer x' })).toBeUndefined();
  });

  it('reads query-protocol lists and writes query-protocol XML', () => {
    const params = { 'Tags.member.2.Key': 'b', 'Tags.member.1.Key': 'a', 'Tags.member.1.Value': '1', 'Names.member.1': 'x' };

    expect(queryMembers(params, 'Tags.member')).toEqual([{ Key: 'a', Value: '1' }, { Key: 'b' }]);
    expect(queryMembers(params, 'Names.member')).toEqual([{ '': 'x' }]);
    expect(toXml({ Id: 'a<b', Tags: [{ Key: 'k' }], When: new Date('2025-01-01T00:00:00Z'), Skip: undefined })).toBe(
      '<Id>a&lt;b</Id><Tags><member><Key>k</Key></member></Tags><When>2025-01-01T00:00:00.000Z</When>',
    );
  });
});
