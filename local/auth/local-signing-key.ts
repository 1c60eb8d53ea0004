import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidTokenError, SigningKeyError } from './errors';

/**
 * The local stand-in for the tenants' identity provider (Cognito in production): one ES256 key,
 * generated on first use and kept in the state directory, that signs the tokens the CLI hands out
 * and that the local API checks as API Gateway's JWT authorizer would (signature, issuer,
 * audience, expiry). Compact JWS with node:crypto only; no JOSE library.
 */
export const LOCAL_ISSUER = 'groundwork-local';
export const LOCAL_AUDIENCE = 'groundwork';
/** The claim that carries the tenant (functionEnvironment's TENANT_CLAIM). */
export const LOCAL_TENANT_CLAIM = 'tenant';
/** As long as a Cognito ID token lives by default. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export interface TokenClaims {
  iss: string;
  aud: string | string[];
  sub: string;
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

export interface IssueTokenOptions {
  tenant: string;
  subject?: string;
  ttlSeconds?: number;
  now?: Date;
}

export interface TokenVerifier {
  /** The token's claims; throws InvalidTokenError saying why it was refused. */
  verifyToken(token: string, options?: { now?: Date }): TokenClaims;
}

export interface LocalSigningKey extends TokenVerifier {
  readonly kid: string;
  readonly publicJwk: JsonWebKey;
  issueToken(options: IssueTokenOptions): string;
}

interface StoredKey {
  kid: string;
  alg: 'ES256';
  createdAt: string;
  privateJwk: JsonWebKey;
}

const ES256_SIGNATURE_BYTES = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeSegment(segment: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidTokenError(`the token's ${what} is not a base64url JSON object`);
}

function keyFromStored(stored: StoredKey): LocalSigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: stored.privateJwk, format: 'jwk' });
  } catch (error) {
    throw new SigningKeyError('the stored signing key is not a valid private JWK', { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new SigningKeyError('the stored signing key is not a P-256 key (ES256)');
  }
  const publicKey = createPublicKey(privateKey);
  const { kid } = stored;

  return {
    kid,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' },

    issueToken({ tenant, subject, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS, now = new Date() }) {
      if (tenant.length === 0) throw new RangeError('a token needs a tenant');
      if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive whole number of seconds');
      const iat = Math.floor(now.getTime() / 1000);
      const claims: TokenClaims = {
        iss: LOCAL_ISSUER,
        aud: LOCAL_AUDIENCE,
        sub: subject ?? `${tenant}-user`,
        [LOCAL_TENANT_CLAIM]: tenant,
        iat,
        exp: iat + ttlSeconds,
        jti: randomUUID(),
      };
      const signingInput = `${encodeSegment({ alg: 'ES256', typ: 'JWT', kid })}.${encodeSegment(claims)}`;
      const signature = sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${signingInput}.${signature.toString('base64url')}`;
    },

    verifyToken(token, { now = new Date() } = {}) {
      const parts = token.split('.');
      if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) {
        throw new InvalidTokenError('the token is not a compact JWS (three base64url segments)');
      }
      const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];
      const header = decodeSegment(headerSegment, 'header');
      // Only ES256: a token may not choose its own algorithm (no "none", no HS256 with the public key).
      if (header['alg'] !== 'ES256') throw new InvalidTokenError(`the token's algorithm ${JSON.stringify(header['alg'])} is not ES256`);
      if (header['kid'] !== undefined && header['kid'] !== kid) throw new InvalidTokenError('the token was signed by another key');
      const signature = Buffer.from(signatureSegment, 'base64url');
      const valid =
        signature.byteLength === ES256_SIGNATURE_BYTES &&
        verify('sha256', Buffer.from(`${headerSegment}.${payloadSegment}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
      if (!valid) throw new InvalidTokenError('the token signature does not verify');

      const claims = decodeSegment(payloadSegment, 'payload');
      if (claims['iss'] !== LOCAL_ISSUER) throw new InvalidTokenError(`the token's issuer is not ${LOCAL_ISSUER}`);
      const audience = claims['aud'];
      const audiences = Array.isArray(audience) ? audience : [audience];
      if (!audiences.includes(LOCAL_AUDIENCE)) throw new InvalidTokenError(`the token's audience does not include ${LOCAL_AUDIENCE}`);
      const nowSeconds = Math.floor(now.getTime() / 1000);
      const exp = claims['exp'];
      if (typeof exp !== 'number') throw new InvalidTokenError('the token has no expiry (exp)');
      if (exp <= nowSeconds) throw new InvalidTokenError('the token has expired');
      const nbf = claims['nbf'];
      if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds)) throw new InvalidTokenError('the token is not valid yet (nbf)');
      if (typeof claims['sub'] !== 'string' || typeof claims['iat'] !== 'number') throw new InvalidTokenError('the token lacks sub or iat');
      return claims as TokenClaims;
    },
  };
}

function newStoredKey(): StoredKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: randomUUID(), alg: 'ES256', createdAt: new Date().toISOString(), privateJwk: privateKey.export({ format: 'jwk' }) };
}

/** A key that lives only in memory (tests). */
export function createEphemeralSigningKey(): LocalSigningKey {
  return keyFromStored(newStoredKey());
}

/**
 * The key in `file` (the state directory's jwt-signing-key.json), created on first use. Creation
 * is exclusive, so `npm start` and a concurrent `groundwork token` end up with the same key.
 */
export function loadOrCreateSigningKey(file: string): LocalSigningKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(file), { recursive: true });
    const stored = newStoredKey();
    // Written whole under a temporary name, then linked into place: link fails if the file
    // appeared meanwhile, and a reader never sees a half-written key.
    const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    try {
      linkSync(temporary, file);
      return keyFromStored(stored);
    } catch (linkError) {
      if ((linkError as NodeJS.ErrnoException).code !== 'EEXIST') throw linkError;
      text = readFileSync(file, 'utf8');
    } finally {
      rmSync(temporary, { force: true });
    }
  }
  let stored: StoredKey;
  try {
    stored = JSON.parse(text) as StoredKey;
  } catch (error) {
    throw new SigningKeyError(`${file} is not JSON; delete it to have a new key made (tokens issued before stop working)`, { cause: error });
  }
  if (typeof stored.kid !== 'string' || typeof stored.privateJwk !== 'object' || stored.privateJwk === null) {
    throw new SigningKeyError(`${file} holds no signing key; delete it to have a new key made`);
  }
  return keyFromStored(stored);
}
