import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AwsRequest } from '../contracts';
import { AwsApiError } from './errors';
import type { CallerPrincipal } from './trust-policy';

/**
 * Who a request comes from. As with other local AWS emulators, the access key id names the
 * 12-digit account the request acts in; plain keys are that account's root. Credentials the
 * sandbox's STS issued carry their session in the session token (x-amz-security-token): a signed,
 * base64url JSON naming the assumed role and session, so later calls act as that session.
 */

export type Caller = Exclude<CallerPrincipal, { kind: 'service' }>;

interface SessionClaims {
  v: 1;
  account: string;
  roleArn: string;
  roleName: string;
  session: string;
  expires: number;
}

export function issueSessionToken(secret: string, claims: Omit<SessionClaims, 'v'>): string {
  const payload = Buffer.from(JSON.stringify({ v: 1, ...claims })).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

export function identifyCaller(request: Pick<AwsRequest, 'accessKeyId' | 'headers'>, secret: string, now: number): Caller {
  const account = request.accessKeyId;
  if (!/^\d{12}$/.test(account)) {
    throw new AwsApiError(
      'InvalidClientTokenId',
      `The security token included in the request is invalid. (In the sandbox the access key id is the 12-digit account to act in, not "${account}".)`,
      403,
    );
  }
  const token = headerValue(request.headers, 'x-amz-security-token');
  if (token === undefined || token === '') return { kind: 'account', account, arn: `arn:aws:iam::${account}:root` };
  const claims = readToken(secret, token);
  if (!claims || claims.account !== account) throw new AwsApiError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  if (claims.expires <= now) throw new AwsApiError('ExpiredToken', 'The security token included in the request is expired', 400);
  return {
    kind: 'assumed-role',
    account,
    arn: `arn:aws:sts::${account}:assumed-role/${claims.roleName}/${claims.session}`,
    roleArn: claims.roleArn,
    roleName: claims.roleName,
    sessionName: claims.session,
  };
}

function readToken(secret: string, token: string): SessionClaims | undefined {
  const [payload, signature] = token.split('.');
  if (payload === undefined || signature === undefined) return undefined;
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionClaims;
    return claims.v === 1 ? claims : undefined;
  } catch {
    return undefined;
  }
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}
