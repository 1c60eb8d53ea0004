import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { STSClient } from '@aws-sdk/client-sts';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsRequest, SandboxHooks } from '../../../local/contracts';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../../local/sandbox/sandbox';
import { keepConnectionsAlive } from '../../../local/edge/edge-server';

/**
 * A small edge for the sandbox tests: an HTTP server on 127.0.0.1 that turns each request into an
 * AwsRequest (service, region and access key id read from the SigV4 Authorization header's
 * credential scope) for the sandbox's services, and `/_sandbox/…` paths into its routes. Clients
 * are the plain AWS SDK clients pointed at it.
 */

export interface SandboxEdge {
  url: string;
  sandbox: Sandbox;
  /** A CloudFormation client of the account, in REGION unless told. */
  cloudFormation(account: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region?: string): CloudFormationClient;
  sts(account: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): STSClient;
  /**
   * A TemplateURL that serves this body from the edge, as an S3 object would: templates over
   * CloudFormation's 51,200-byte TemplateBody limit (the onboarding template) go by URL, as in AWS.
   */
  templateUrl(body: string): string;
  /**
   * Serves this body at `<url>/_test/objects/<location>`, where the location is an S3 URL without its
   * `https://` (`bucket.s3.us-east-1.amazonaws.com/key`): a template's TemplateURLs then point there
   * once their `https://` is replaced by `<url>/_test/objects/`, as a user mirrors a bucket locally.
   */
  putObject(location: string, body: string): void;
  /** EC2 and RDS clients of the account (the region reads), in REGION unless told. */
  ec2(account: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region?: string): EC2Client;
  rds(account: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region?: string): RDSClient;
  /** An ECS client of the account (the services a teardown looks for), in REGION unless told. */
  ecs(account: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region?: string): ECSClient;
  /** A Cloud Map client of the account (the instances a teardown looks for), in REGION unless told. */
  cloudMap(account: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region?: string): ServiceDiscoveryClient;
  /** Stops the sandbox (flushing its state) and the server. */
  close(): Promise<void>;
}

export const REGION = 'us-east-1';

export const silentHooks: SandboxHooks = {
  publishToTopic: async () => undefined,
  putEvent: async () => undefined,
};

const TEMPLATES = '/_test/templates/';
const OBJECTS = '/_test/objects/';

export async function startSandboxEdge(options: Partial<Omit<SandboxOptions, 'edgeUrl'>> = {}): Promise<SandboxEdge> {
  let sandbox: Sandbox | undefined;
  const templates: string[] = [];
  const objects = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    void readBody(request).then(async (body) => {
      try {
        const path = request.url ?? '';
        const hosted = path.startsWith(TEMPLATES) ? templates[Number(path.slice(TEMPLATES.length))] : path.startsWith(OBJECTS) ? objects.get(decodeURIComponent(path.slice(OBJECTS.length))) : undefined;
        if (hosted !== undefined) {
          response.writeHead(200, { 'content-type': 'text/yaml' }).end(hosted);
          return;
        }
        const answer = sandbox ? await route(sandbox, request, body) : undefined;
        if (!answer) {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('no such endpoint');
          return;
        }
        response.writeHead(answer.status, answer.headers).end(answer.body);
      } catch (error) {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
  });
  keepConnectionsAlive(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const created = createSandbox({ hooks: silentHooks, speed: 0.001, log: () => undefined, ...options, edgeUrl: url });
  sandbox = created;
  const clients: Array<{ destroy(): void }> = [];
  /** A client of the edge, destroyed when it closes. */
  const track = <C extends { destroy(): void }>(client: C): C => {
    clients.push(client);
    return client;
  };
  const config = (account: string, credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, region = REGION) => ({
    region,
    endpoint: url,
    maxAttempts: 1,
    credentials: credentials ?? { accessKeyId: account, secretAccessKey: 'sandbox' },
  });
  return {
    url,
    sandbox: created,
    cloudFormation: (account, credentials, region) => track(new CloudFormationClient(config(account, credentials, region))),
    sts: (account, credentials) => track(new STSClient(config(account, credentials))),
    templateUrl(body) {
      templates.push(body);
      return `${url}${TEMPLATES}${templates.length - 1}`;
    },
    putObject(location, body) {
      objects.set(location, body);
    },
    ec2: (account, credentials, region) => track(new EC2Client(config(account, credentials, region))),
    rds: (account, credentials, region) => track(new RDSClient(config(account, credentials, region))),
    ecs: (account, credentials, region) => track(new ECSClient(config(account, credentials, region))),
    cloudMap: (account, credentials, region) => track(new ServiceDiscoveryClient(config(account, credentials, region))),
    async close() {
      for (const client of clients) client.destroy();
      await created.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function route(sandbox: Sandbox, request: IncomingMessage, body: string) {
  const path = request.url ?? '/';
  const method = request.method ?? 'GET';
  if (path.startsWith('/_sandbox/')) return sandbox.handleRoute({ method, path, body });
  const scope = /Credential=([^/]+)\/[^/]+\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(request.headers.authorization ?? ''));
  if (!scope) return undefined;
  const [, accessKeyId = '', region = '', service = ''] = scope;
  const service_ = sandbox.services.find((candidate) => candidate.signingNames.includes(service));
  if (!service_) return undefined;
  const url = new URL(path, 'http://edge.invalid');
  const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : (value ?? '')]));
  const awsRequest: AwsRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, service, region, accessKeyId };
  return service_.handle(awsRequest);
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * A sandbox edge for one test file, started before its tests and closed after them, with a
 * CloudFormation client of the given account (its own keys: the account's root).
 */
export function sandboxForFile(account: string, options: Partial<Omit<SandboxOptions, 'edgeUrl'>> = {}): { readonly edge: SandboxEdge; readonly cfn: CloudFormationClient } {
  let started: { edge: SandboxEdge; cfn: CloudFormationClient } | undefined;
  beforeAll(async () => {
    const edge = await startSandboxEdge(options);
    started = { edge, cfn: edge.cloudFormation(account) };
  });
  afterAll(async () => {
    await started?.edge.close();
  });
  const running = () => {
    if (started === undefined) throw new Error('the sandbox starts before the tests (beforeAll)');
    return started;
  };
  return {
    get edge() {
      return running().edge;
    },
    get cfn() {
      return running().cfn;
    },
  };
}
