import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { IncomingHttpHeaders } from 'node:http';
import { SERVICE_ACCOUNT } from '../config';
import type { RouteMatch } from './route-table';

/**
 * The HTTP API (payload format 2.0) event for one request, shaped as API Gateway builds it after
 * its JWT authorizer, and the mapping of a Lambda's answer back onto HTTP.
 */
export type HttpApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
type Claims = HttpApiEvent['requestContext']['authorizer']['jwt']['claims'];

/** API Gateway hands claims over as strings: numbers and booleans printed, arrays as `[a b]`. */
export function claimsAsApiGatewayPassesThem(claims: Record<string, unknown>): Claims {
  const out: Claims = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value)) out[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object') out[name] = JSON.stringify(value);
    else out[name] = String(value);
  }
  return out;
}

/** Body types API Gateway passes as text; anything else arrives base64-encoded. */
function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  return /^(text\/|application\/([a-z.+-]*\+)?(json|xml)\b|application\/(x-www-form-urlencoded|javascript|yaml)\b)/i.test(contentType);
}

function apiGatewayTime(date: Date): string {
  // 12/Mar/2020:19:03:58 +0000
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export interface HttpRequestFacts {
  method: string;
  /** The request target as received: path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  requestId: string;
  now?: Date;
}

export function buildHttpApiEvent(request: HttpRequestFacts, match: RouteMatch, claims: Record<string, unknown>): HttpApiEvent {
  const now = request.now ?? new Date();
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === 'cookie') {
      cookies = (Array.isArray(value) ? value : [value]).flatMap((line) => line.split(';')).map((c) => c.trim()).filter((c) => c !== '');
      continue;
    }
    headers[key] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-forwarded-for'] = request.sourceIp;
  headers['x-forwarded-proto'] = 'http';
  const host = headers['host'] ?? '127.0.0.1';
  const port = /:(\d+)$/.exec(host)?.[1];
  if (port) headers['x-forwarded-port'] = port;

  // Repeated query parameters arrive comma-joined, as HTTP APIs pass them.
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) query[name] = name in query ? `${query[name]},${value}` : value;

  const textual = isTextual(headers['content-type']);
  const hasBody = request.body.byteLength > 0;
  const scope = claims['scope'];
  return {
    version: '2.0',
    routeKey: match.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(match.pathParameters).length > 0 ? { pathParameters: match.pathParameters } : {}),
    ...(hasBody ? { body: textual ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !textual,
    requestContext: {
      accountId: SERVICE_ACCOUNT,
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: request.method.toUpperCase(),
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: request.requestId,
      routeKey: match.routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: claimsAsApiGatewayPassesThem(claims), scopes: typeof scope === 'string' && scope !== '' ? scope.split(' ') : null },
      },
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export class InvalidIntegrationResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIntegrationResponseError';
  }
}

/**
 * A Lambda's result as API Gateway turns it into HTTP (payload 2.0): a structured result is used
 * as is; anything else is JSON with status 200.
 */
export function answerFromResult(result: unknown): HttpAnswer {
  const structured = typeof result === 'object' && result !== null && 'statusCode' in result;
  if (!structured) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body, 'utf8') };
  }
  const response = result as APIGatewayProxyStructuredResultV2;
  if (!Number.isInteger(response.statusCode) || (response.statusCode ?? 0) < 100 || (response.statusCode ?? 0) > 599) {
    throw new InvalidIntegrationResponseError(`the function answered statusCode ${String(response.statusCode)}`);
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (response.cookies && response.cookies.length > 0) headers['set-cookie'] = response.cookies;
  const text = response.body ?? '';
  const body = response.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { status: response.statusCode ?? 200, headers, body };
}
