import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/log/logger';
import { LOCAL_HOST } from '../config';
import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { errorResponseFor, newRequestId, parseCredentialScope, REQUEST_ID_HEADER } from './aws-protocols';
import { AwsServiceError, EdgeConfigurationError } from './errors';

const KEEP_ALIVE_MS = 60_000;

/**
 * SDK clients and fetch keep sockets alive between calls (a workflow polls every few seconds). With
 * Node's 5 s default the server may close an idle socket just as a client sends on it, which the
 * client sees as ECONNRESET: keep idle connections open longer than any poll interval, as AWS's
 * endpoints do. Whoever closes the server closes its connections (closeAllConnections).
 */
export function keepConnectionsAlive(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
}

/**
 * One HTTP endpoint for every local AWS API, as `AWS_ENDPOINT_URL` expects: the SigV4 credential
 * scope of each request names the service (`states`, `events`, `sns`, `cloudformation`, `sts`),
 * the region and, locally, the account (the access key id). Signatures are not verified: this is
 * a loopback-only development endpoint. Paths under a route prefix (`/_sandbox/`, `/_groundwork/`)
 * go to that route first.
 */
export interface EdgeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export interface EdgeRoute {
  prefix: string;
  /** Undefined: not mine after all, dispatch as an AWS API request. */
  handle(request: EdgeRequest): Promise<AwsResponse | undefined>;
}

export interface EdgeServerOptions {
  host?: string;
  port: number;
  services: AwsService[];
  routes?: EdgeRoute[];
  logger?: Logger;
  /** Largest request body accepted (default 2 MB); larger ones get 413. */
  maxBodyBytes?: number;
}

export interface EdgeServer {
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;
const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;

class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export async function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const host = options.host ?? LOCAL_HOST;
  if (!LOOPBACK.test(host)) throw new EdgeConfigurationError(`The edge binds to the loopback interface only, not ${host}`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const logger = options.logger;
  const routes = options.routes ?? [];
  const bySigningName = new Map<string, AwsService>();
  for (const service of options.services) {
    for (const name of service.signingNames) {
      if (bySigningName.has(name)) throw new EdgeConfigurationError(`Two services claim the signing name ${name}`);
      bySigningName.set(name, service);
    }
  }

  async function dispatch(request: EdgeRequest): Promise<AwsResponse> {
    for (const route of routes) {
      if (!request.path.startsWith(route.prefix)) continue;
      const answer = await route.handle(request);
      if (answer) return answer;
    }
    const scope = parseCredentialScope(request.headers, request.query);
    if (!scope) {
      return errorResponseFor(request, { code: 'MissingAuthenticationToken', message: 'Requests need an AWS SigV4 Authorization header (its credential scope names the service).', status: 403 });
    }
    const service = bySigningName.get(scope.service);
    if (!service) {
      return errorResponseFor(request, {
        code: 'UnknownService',
        message: `No local service answers to '${scope.service}'; this endpoint serves ${[...bySigningName.keys()].sort().join(', ') || 'nothing'}.`,
        status: 400,
      });
    }
    const awsRequest: AwsRequest = { ...request, service: scope.service, region: scope.region, accessKeyId: scope.accessKeyId };
    return service.handle(awsRequest);
  }

  async function serve(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'http://edge.local');
    const headers = Object.fromEntries(
      Object.entries(incoming.headers).flatMap(([key, value]) => (value === undefined ? [] : [[key.toLowerCase(), Array.isArray(value) ? value.join(', ') : value]])),
    );
    const request: EdgeRequest = { method: incoming.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: '' };
    let response: AwsResponse;
    try {
      request.body = await readBody(incoming, maxBodyBytes);
      response = await dispatch(request);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        response = errorResponseFor(request, { code: 'RequestEntityTooLarge', message: error.message, status: 413 });
      } else if (error instanceof AwsServiceError) {
        response = errorResponseFor(request, error);
      } else {
        // Details stay in the log: an answer never carries a stack trace.
        logger?.error('local AWS request failed', { method: request.method, path: request.path, target: headers['x-amz-target'], error });
        response = errorResponseFor(request, { code: 'InternalFailure', message: 'The local service failed; see the log of the local process.', status: 500 });
      }
    }
    logger?.debug('local AWS request', { method: request.method, path: request.path, target: headers['x-amz-target'], status: response.status });
    const body = Buffer.from(response.body, 'utf8');
    // Header names compare case-insensitively: the length is ours, the request id theirs if they set one.
    const responseHeaders = Object.fromEntries(Object.entries(response.headers).filter(([key]) => key.toLowerCase() !== 'content-length'));
    responseHeaders['content-length'] = String(body.length);
    if (!Object.keys(responseHeaders).some((key) => key.toLowerCase() === REQUEST_ID_HEADER.toLowerCase())) responseHeaders[REQUEST_ID_HEADER] = newRequestId();
    outgoing.writeHead(response.status, responseHeaders);
    outgoing.end(body);
  }

  const server = createServer((incoming, outgoing) => {
    serve(incoming, outgoing).catch((error: unknown) => {
      logger?.error('could not answer a local AWS request', { error });
      if (!outgoing.headersSent) outgoing.writeHead(500);
      outgoing.end();
    });
  });
  keepConnectionsAlive(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger?.info('local AWS edge listening', { url, services: [...bySigningName.keys()].sort() });

  return {
    url,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // SDK clients keep connections alive; they would hold close() open.
        server.closeAllConnections();
      }),
  };
}

function readBody(incoming: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(incoming.headers['content-length'] ?? 0);
  if (declared > limit) {
    incoming.resume();
    return Promise.reject(new BodyTooLargeError(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    incoming.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    incoming.on('end', () => (tooLarge ? reject(new BodyTooLargeError(limit)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    incoming.on('error', reject);
  });
}
