import { randomUUID } from 'node:crypto';
import type { AwsRequest, AwsResponse, AwsService } from '../contracts';
import { AwsServiceError } from './errors';

/**
 * The wire formats of the AWS APIs the edge serves, enough for the AWS SDK and CLI to talk to a
 * local service as they would to AWS:
 * - AWS JSON 1.0/1.1 (Step Functions, EventBridge, DynamoDB …): POST, `X-Amz-Target:
 *   <Prefix>.<Operation>`, a JSON body; errors as `{"__type", "message"}` plus `x-amzn-ErrorType`.
 * - AWS query (SNS, STS, CloudFormation …): form-encoded `Action=…&Version=…&…` (or the same in the
 *   query string); XML `<ActionResponse><ActionResult>…` answers and `<ErrorResponse>` errors.
 * Plus reading the SigV4 credential scope, which names the service, region and account.
 */

export type JsonProtocolVersion = '1.0' | '1.1';
export const REQUEST_ID_HEADER = 'x-amzn-RequestId';

export const newRequestId = (): string => randomUUID();

/** What the SigV4 `Credential=<akid>/<date>/<region>/<service>/aws4_request` scope says (the signature is not checked). */
export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const CREDENTIAL_SCOPE = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;
const PRESIGNED_SCOPE = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;

/** From the `Authorization` header, or a presigned URL's `X-Amz-Credential`; undefined when neither names one. */
export function parseCredentialScope(headers: Record<string, string>, query: Record<string, string> = {}): CredentialScope | undefined {
  const header = headers['authorization'];
  const match = header?.startsWith('AWS4-HMAC-SHA256') ? CREDENTIAL_SCOPE.exec(header) : (PRESIGNED_SCOPE.exec(query['X-Amz-Credential'] ?? '') ?? undefined);
  if (!match) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = ''] = match;
  return { accessKeyId, date, region, service };
}

// ---- AWS JSON 1.0 / 1.1 ----------------------------------------------------------------------

export function jsonResponse(body: unknown, options: { version?: JsonProtocolVersion; status?: number; requestId?: string } = {}): AwsResponse {
  return {
    status: options.status ?? 200,
    headers: { 'content-type': `application/x-amz-json-${options.version ?? '1.0'}`, [REQUEST_ID_HEADER]: options.requestId ?? newRequestId() },
    body: JSON.stringify(body ?? {}),
  };
}

export function jsonErrorResponse(error: { code: string; message: string; status?: number }, options: { version?: JsonProtocolVersion; requestId?: string } = {}): AwsResponse {
  const response = jsonResponse({ __type: error.code, message: error.message }, { ...options, status: error.status ?? 400 });
  response.headers['x-amzn-ErrorType'] = error.code;
  return response;
}

/** The operation an `X-Amz-Target: <prefix>.<Operation>` header names. */
export function jsonOperation(request: Pick<AwsRequest, 'headers'>, targetPrefix: string): string {
  const target = request.headers['x-amz-target'] ?? '';
  const dot = target.lastIndexOf('.');
  if (dot < 0 || target.slice(0, dot) !== targetPrefix) {
    throw new AwsServiceError('UnknownOperationException', `Expected X-Amz-Target ${targetPrefix}.<Operation>, got '${target}'`);
  }
  return target.slice(dot + 1);
}

export function parseJsonBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsServiceError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AwsServiceError('SerializationException', 'The request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** JSON protocols carry timestamps as epoch seconds (fractions allowed). */
export const epochSeconds = (date: Date | string | number): number => new Date(date).getTime() / 1000;

/** A JSON timestamp as the SDK sends it (epoch seconds), or undefined. */
export function dateFromEpochSeconds(value: unknown): Date | undefined {
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string' && value !== '') {
    const date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

export type JsonOperation = (input: Record<string, unknown>, request: AwsRequest) => Promise<unknown>;

/** An AwsService speaking AWS JSON: dispatches by X-Amz-Target, answers AwsServiceErrors in the protocol's shape. */
export function jsonProtocolService(options: {
  signingNames: readonly string[];
  targetPrefix: string;
  version: JsonProtocolVersion;
  operations: Record<string, JsonOperation>;
}): AwsService {
  return {
    signingNames: options.signingNames,
    async handle(request) {
      const requestId = newRequestId();
      try {
        if (request.method !== 'POST') throw new AwsServiceError('UnknownOperationException', `${request.method} is not an operation; AWS JSON APIs take POST`);
        const name = jsonOperation(request, options.targetPrefix);
        const operation = Object.hasOwn(options.operations, name) ? options.operations[name] : undefined;
        if (!operation) throw new AwsServiceError('UnknownOperationException', `${options.targetPrefix}.${name} is not served locally`);
        return jsonResponse(await operation(parseJsonBody(request.body), request), { version: options.version, requestId });
      } catch (error) {
        if (error instanceof AwsServiceError) return jsonErrorResponse(error, { version: options.version, requestId });
        throw error;
      }
    },
  };
}

// ---- AWS query -------------------------------------------------------------------------------

/** Form-encoded (or query-string) parameters; a repeated key keeps its last value. */
export function parseQueryForm(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

/** A query request's parameters: the URL's, overridden by the form body's. */
export function queryParameters(request: Pick<AwsRequest, 'query' | 'body' | 'headers'>): Record<string, string> {
  const form = (request.headers['content-type'] ?? 'application/x-www-form-urlencoded').includes('x-www-form-urlencoded') ? parseQueryForm(request.body) : {};
  return { ...request.query, ...form };
}

/**
 * A query list or map flattened as `<prefix>.<n>.<field>`: `Tags.member.1.Key=a&Tags.member.1.Value=b`
 * → queryMembers(params, 'Tags.member') = [{Key: 'a', Value: 'b'}], in index order. A list of
 * scalars (`Names.member.1=x`) gives [{'': 'x'}].
 */
export function queryMembers(params: Record<string, string>, prefix: string): Array<Record<string, string>> {
  const members = new Map<number, Record<string, string>>();
  const head = `${prefix}.`;
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith(head)) continue;
    const rest = key.slice(head.length);
    const dot = rest.indexOf('.');
    const index = Number(dot < 0 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index) || index < 1) continue;
    const member = members.get(index) ?? {};
    member[dot < 0 ? '' : rest.slice(dot + 1)] = value;
    members.set(index, member);
  }
  return [...members.entries()].sort(([a], [b]) => a - b).map(([, member]) => member);
}

export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/**
 * An object as query-protocol XML: one element per defined field, lists as `<member>` elements,
 * dates as ISO 8601. `toXml({MessageId: 'a', Tags: [{Key: 'k'}]})` →
 * `<MessageId>a</MessageId><Tags><member><Key>k</Key></member></Tags>`.
 */
export function toXml(value: Record<string, unknown>): string {
  return Object.entries(value)
    .filter(([, inner]) => inner !== undefined)
    .map(([key, inner]) => `<${key}>${xmlValue(inner)}</${key}>`)
    .join('');
}

function xmlValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((member) => `<member>${xmlValue(member)}</member>`).join('');
  if (typeof value === 'object') return toXml(value as Record<string, unknown>);
  return xmlEscape(String(value));
}

const XML_CONTENT_TYPE = 'text/xml';

export function queryResponse(action: string, result: Record<string, unknown> | undefined, options: { xmlns: string; requestId?: string }): AwsResponse {
  const requestId = options.requestId ?? newRequestId();
  const body =
    `<${action}Response xmlns="${xmlEscape(options.xmlns)}">` +
    (result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': XML_CONTENT_TYPE, [REQUEST_ID_HEADER]: requestId }, body };
}

export function queryErrorResponse(
  error: { code: string; message: string; status?: number; fault?: 'Sender' | 'Receiver' },
  options: { xmlns?: string; requestId?: string } = {},
): AwsResponse {
  const requestId = options.requestId ?? newRequestId();
  const status = error.status ?? 400;
  const body =
    `<ErrorResponse${options.xmlns ? ` xmlns="${xmlEscape(options.xmlns)}"` : ''}><Error><Type>${error.fault ?? (status >= 500 ? 'Receiver' : 'Sender')}</Type>` +
    `<Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': XML_CONTENT_TYPE, [REQUEST_ID_HEADER]: requestId }, body };
}

export type QueryAction = (params: Record<string, string>, request: AwsRequest) => Promise<Record<string, unknown> | undefined>;

/** An AwsService speaking the query protocol: dispatches by `Action`, answers AwsServiceErrors as XML. */
export function queryProtocolService(options: { signingNames: readonly string[]; xmlns: string; actions: Record<string, QueryAction> }): AwsService {
  return {
    signingNames: options.signingNames,
    async handle(request) {
      const requestId = newRequestId();
      try {
        const params = queryParameters(request);
        const name = params['Action'] ?? '';
        const action = Object.hasOwn(options.actions, name) ? options.actions[name] : undefined;
        if (!action) throw new AwsServiceError('InvalidAction', name ? `The action ${name} is not valid for this endpoint.` : 'No Action was given.');
        return queryResponse(name, await action(params, request), { xmlns: options.xmlns, requestId });
      } catch (error) {
        if (error instanceof AwsServiceError) return queryErrorResponse(error, { xmlns: options.xmlns, requestId });
        throw error;
      }
    },
  };
}

// ---- either ----------------------------------------------------------------------------------

/** Which error shape a request's client can read, judged from the request alone. */
export function protocolOf(request: Pick<AwsRequest, 'headers'>): { kind: 'json'; version: JsonProtocolVersion } | { kind: 'query' } {
  const contentType = request.headers['content-type'] ?? '';
  const json = /x-amz-json-(1\.[01])/.exec(contentType);
  if (json) return { kind: 'json', version: json[1] === '1.1' ? '1.1' : '1.0' };
  if (request.headers['x-amz-target'] !== undefined || contentType.includes('json')) return { kind: 'json', version: '1.0' };
  return { kind: 'query' };
}

/** An error in the shape the request's protocol uses. */
export function errorResponseFor(request: Pick<AwsRequest, 'headers'>, error: { code: string; message: string; status?: number; fault?: 'Sender' | 'Receiver' }): AwsResponse {
  const protocol = protocolOf(request);
  return protocol.kind === 'json' ? jsonErrorResponse(error, { version: protocol.version }) : queryErrorResponse(error);
}
