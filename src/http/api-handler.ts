import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { ValidationError } from '../errors';
import type { Logger } from '../log/logger';
import { ForbiddenError, PayloadTooLargeError, UnauthorizedError, UnsupportedMediaTypeError } from './errors';
import { problemResponse, toProblem } from './problem';

/**
 * The HTTP edge: every route is a plain async function of an ApiRequest, wrapped here in one
 * middy stack that reads the tenant from the verified JWT, parses a bounded JSON body and turns
 * errors into problem+json. The JWT itself is verified by API Gateway's authorizer (or, locally,
 * by the local gateway with the same issuer/audience rules) before the handler runs.
 */
export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

export interface ApiRequest {
  tenantId: string;
  /** The parsed JSON body; undefined when the request had none. */
  body: unknown;
  pathParameters: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  requestId: string;
  path: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ApiHandlerOptions {
  logger: Logger;
  /** The JWT claim carrying the tenant id. */
  tenantClaim: string;
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function tenantFrom(event: ApiEvent, claim: string): string {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  if (!claims) throw new UnauthorizedError('A bearer token is required.');
  const tenant = claims[claim];
  if (typeof tenant !== 'string' || !TENANT_ID.test(tenant)) {
    throw new ForbiddenError(`The token carries no valid "${claim}" claim.`);
  }
  return tenant;
}

export function parseJsonBody(event: ApiEvent, maxBytes: number): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > maxBytes) {
    throw new PayloadTooLargeError(`The body is ${raw.byteLength} bytes; the limit is ${maxBytes}.`);
  }
  const contentType = lowerCaseKeys(event.headers)['content-type'] ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(contentType)) {
    throw new UnsupportedMediaTypeError('Send the body as application/json.');
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    const detail = error instanceof SyntaxError ? error.message : 'unparseable';
    throw new ValidationError([{ field: 'body', message: `is not valid JSON (${detail})` }], 'The body is not valid JSON.');
  }
}

function lowerCaseKeys(headers: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) if (value !== undefined) out[key.toLowerCase()] = value;
  return out;
}

function definedValues(record: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (value !== undefined) out[key] = value;
  return out;
}

function problemJson(logger: Logger): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    name: 'problem-json',
    onError: (request) => {
      const problem = toProblem(request.error, request.event.rawPath);
      const requestId = request.context.awsRequestId;
      if (problem.status >= 500) logger.error('request failed', { requestId, path: request.event.rawPath, error: request.error });
      else logger.info('request refused', { requestId, path: request.event.rawPath, status: problem.status, type: problem.type });
      request.response = problemResponse(problem, requestId);
    },
  };
}

export function apiHandler(options: ApiHandlerOptions, route: (request: ApiRequest) => Promise<ApiResponse>) {
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return middy<ApiEvent, ApiResult, Error, Context>(async (event: ApiEvent, context: Context): Promise<ApiResult> => {
    const request: ApiRequest = {
      tenantId: tenantFrom(event, options.tenantClaim),
      body: parseJsonBody(event, maxBytes),
      pathParameters: definedValues(event.pathParameters),
      query: definedValues(event.queryStringParameters),
      headers: lowerCaseKeys(event.headers),
      requestId: context.awsRequestId,
      path: event.rawPath,
    };
    const response = await route(request);
    return {
      statusCode: response.status,
      headers: {
        ...(response.body === undefined ? {} : { 'content-type': 'application/json' }),
        'x-request-id': context.awsRequestId,
        ...response.headers,
      },
      ...(response.body === undefined ? {} : { body: JSON.stringify(response.body) }),
    };
  }, { timeoutEarlyInMillis: 0 }).use(problemJson(options.logger));
}
