import type { AwsRequest, AwsResponse } from '../contracts';
import { AwsApiError } from './errors';

/**
 * The AWS query protocol that CloudFormation and STS speak: a form-encoded request
 * (`Action=CreateStack&Version=2010-05-15&Parameters.member.1.ParameterKey=…`) and an XML answer,
 * `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…</ResponseMetadata></ActionResponse>`,
 * or `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 * Lists are `<Name><member>…</member></Name>` and timestamps ISO 8601, as the SDK's XML
 * deserializer reads them.
 */

export class QueryParameters {
  private readonly values: Map<string, string>;

  constructor(request: Pick<AwsRequest, 'body' | 'query'>) {
    this.values = new Map(Object.entries(request.query));
    for (const [key, value] of new URLSearchParams(request.body)) this.values.set(key, value);
  }

  get action(): string {
    return this.values.get('Action') ?? '';
  }

  string(name: string): string | undefined {
    return this.values.get(name);
  }

  required(name: string): string {
    const value = this.values.get(name);
    if (value === undefined || value === '') {
      throw new AwsApiError('ValidationError', `1 validation error detected: Value null at '${name.charAt(0).toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
    }
    return value;
  }

  number(name: string): number | undefined {
    const value = this.values.get(name);
    if (value === undefined || value === '') return undefined;
    const number = Number(value);
    if (!Number.isFinite(number)) throw new AwsApiError('ValidationError', `Invalid value for ${name}: ${value}`);
    return number;
  }

  boolean(name: string): boolean | undefined {
    const value = this.values.get(name);
    return value === undefined || value === '' ? undefined : value === 'true';
  }

  /** `Name.member.1=…&Name.member.2=…` (an empty list is sent as `Name=`). */
  list(name: string): string[] {
    const prefix = `${name}.member.`;
    return [...this.values.entries()]
      .filter(([key]) => key.startsWith(prefix) && /^\d+$/.test(key.slice(prefix.length)))
      .sort(([a], [b]) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
      .map(([, value]) => value);
  }

  /** `Name.member.1.Field=…`: one record per member, by its number. */
  structures(name: string): Array<Record<string, string>> {
    const prefix = `${name}.member.`;
    const members = new Map<number, Record<string, string>>();
    for (const [key, value] of this.values) {
      if (!key.startsWith(prefix)) continue;
      const match = /^(\d+)\.(.+)$/.exec(key.slice(prefix.length));
      if (!match) continue;
      const index = Number(match[1]);
      const member = members.get(index) ?? {};
      member[match[2] ?? ''] = value;
      members.set(index, member);
    }
    return [...members.entries()].sort(([a], [b]) => a - b).map(([, member]) => member);
  }
}

/** What an answer holds: nested elements by name, lists as `member`s (or as XmlList says), dates as ISO 8601. */
export type XmlValue = string | number | boolean | Date | undefined | null | XmlList | XmlValue[] | { [name: string]: XmlValue };

/** A list whose elements the service names itself (RDS: `<DBEngineVersions><DBEngineVersion>…`); items are rendered as XmlValues. */
export class XmlList {
  constructor(
    readonly member: string,
    readonly items: readonly object[],
  ) {}
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[character] ?? character);
}

/** The XML of a value; plain arrays' elements are named `listMember` (`member` in the query protocol, `item` in EC2's). */
export function renderXml(value: XmlValue, listMember = 'member'): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof XmlList) return value.items.map((item) => `<${value.member}>${renderXml(item as XmlValue, listMember)}</${value.member}>`).join('');
  if (Array.isArray(value)) return value.map((member) => `<${listMember}>${renderXml(member, listMember)}</${listMember}>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, child]) => child !== undefined && child !== null)
      .map(([name, child]) => `<${name}>${renderXml(child, listMember)}</${name}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function queryResponse(action: string, namespace: string, requestId: string, result?: { [name: string]: XmlValue }): AwsResponse {
  const body =
    `<${action}Response xmlns="${namespace}">` +
    (result === undefined ? '' : `<${action}Result>${renderXml(result)}</${action}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: xmlHeaders(requestId), body };
}

export function queryError(namespace: string, requestId: string, error: AwsApiError): AwsResponse {
  const body =
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${error.type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: error.status, headers: xmlHeaders(requestId), body };
}

export function xmlHeaders(requestId: string): Record<string, string> {
  return { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
}

/**
 * Runs one query-protocol call: an AwsApiError becomes its error answer; anything else is a bug,
 * logged, and answered as the service's internal failure without details.
 */
export async function answerQuery(
  call: { namespace: string; requestId: string; action: string; internalMessage: string; log: (message: string) => void },
  run: () => Promise<{ [name: string]: XmlValue } | undefined>,
): Promise<AwsResponse> {
  try {
    return queryResponse(call.action, call.namespace, call.requestId, await run());
  } catch (error) {
    if (error instanceof AwsApiError) return queryError(call.namespace, call.requestId, error);
    call.log(`${call.action} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return queryError(call.namespace, call.requestId, new AwsApiError('InternalFailure', call.internalMessage, 500));
  }
}
