import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_HOST } from '../config';
import type { FunctionInvoker } from '../contracts';
import type { TokenVerifier } from '../auth/local-signing-key';
import { PortInUseError } from '../runtime/ports';
import { readServiceDefinition } from '../runtime/service-definition';

export { PortInUseError } from '../runtime/ports';
import { answerFromResult, buildHttpApiEvent, type HttpAnswer } from './api-gateway-event';
import { createRouteTable, type RouteDefinition } from './route-table';
import { keepConnectionsAlive } from '../edge/edge-server';

/**
 * Groundwork's HTTP API on 127.0.0.1, standing in for API Gateway: the routes of serverless.yml,
 * its JWT authorizer (signature, issuer, audience, expiry, against the local signing key), payload
 * 2.0 events to the same handlers, and API Gateway's own answers where it answers itself
 * (401 Unauthorized, 404 Not Found, 413, 500 for a failing function, 503 past the 30 s
 * integration timeout).
 */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
export const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 30_000;

export interface LocalApiOptions {
  port: number;
  invoker: FunctionInvoker;
  verifier: TokenVerifier;
  /** Default: the invoker's httpRoutes() when it has them, else serverless.yml's. */
  routes?: readonly RouteDefinition[];
  host?: string;
  maxBodyBytes?: number;
  integrationTimeoutMs?: number;
  /** Why a request was refused (401) or failed (500, 503), with the error (default: nowhere). */
  log?: (line: string) => void;
  /** One line per request: method, path, status, time (default: nowhere). */
  accessLog?: (line: string) => void;
}

export interface LocalApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

const message = (status: number, text: string, extra: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json', ...extra },
  body: Buffer.from(JSON.stringify({ message: text })),
});

class BodyTooLargeError extends Error {}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        request.removeAllListeners('data');
        request.pause();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  // API Gateway's JWT authorizer takes the token with or without the Bearer prefix.
  const token = header.replace(/^Bearer\s+/i, '').trim();
  return token === '' ? undefined : token;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
const TIMED_OUT = Symbol('timed out');

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const host = options.host ?? LOCAL_HOST;
  const maxBodyBytes = options.maxBodyBytes ?? API_GATEWAY_MAX_BODY_BYTES;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS;
  const log = options.log ?? (() => undefined);
  const accessLog = options.accessLog ?? (() => undefined);
  const invoker = options.invoker;
  const routes =
    options.routes ??
    ('httpRoutes' in invoker && typeof invoker.httpRoutes === 'function' ? (invoker.httpRoutes as () => RouteDefinition[])() : readServiceDefinition().httpRoutes);
  const table = createRouteTable(routes);

  async function answer(request: IncomingMessage, requestId: string): Promise<HttpAnswer> {
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const match = table.match(method, url.split('?')[0] ?? '/');
    if (!match) return message(404, 'Not Found');

    const token = bearerToken(request.headers.authorization);
    let claims: Record<string, unknown>;
    try {
      if (token === undefined) throw new Error('no bearer token in the Authorization header');
      claims = await options.verifier.verifyToken(token);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log(`${requestId} refused: ${reason}`);
      return message(401, 'Unauthorized', {
        'www-authenticate': token === undefined ? 'Bearer' : `Bearer error="invalid_token" error_description="${reason.replaceAll('"', "'")}"`,
      });
    }

    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) return message(413, 'Request Entity Too Large');
    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return message(413, 'Request Entity Too Large');
      throw error;
    }

    const sourceIp = request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? LOCAL_HOST;
    const event = buildHttpApiEvent({ method, url, headers: request.headers, body, sourceIp, requestId }, match, claims);
    try {
      const result = await withTimeout(Promise.resolve(invoker.invoke(match.route.functionName, event)), integrationTimeoutMs);
      if (result === TIMED_OUT) {
        log(`${requestId} ${match.route.functionName} did not answer within ${integrationTimeoutMs} ms`);
        return message(503, 'Service Unavailable');
      }
      return answerFromResult(result);
    } catch (error) {
      log(`${requestId} ${match.route.functionName} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return message(500, 'Internal Server Error');
    }
  }

  async function serve(request: IncomingMessage, response: ServerResponse) {
    const started = Date.now();
    const requestId = randomBytes(10).toString('base64').replace(/=+$/, '=');
    let result: HttpAnswer;
    try {
      result = await answer(request, requestId);
    } catch (error) {
      log(`${requestId} local API error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      result = message(500, 'Internal Server Error');
    }
    const tooLarge = result.status === 413;
    response.writeHead(result.status, {
      ...result.headers,
      'content-length': String(result.body.byteLength),
      'apigw-requestid': requestId,
      // A refused oversized body is not read to its end: close rather than drain it.
      ...(tooLarge ? { connection: 'close' } : {}),
    });
    response.end(result.body, () => {
      if (tooLarge) request.socket.destroySoon();
    });
    accessLog(`${request.method ?? '?'} ${request.url?.split('?')[0] ?? '?'} ${result.status} ${Date.now() - started}ms`);
  }

  const server = createServer((request, response) => void serve(request, response));
  keepConnectionsAlive(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(options.port, 'the local HTTP API', { cause: error }) : error),
    );
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
