import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { InvalidTokenError, SigningKeyError } from './errors';

/**
 * The local stand-in for the tenants' identity provider (Cognito in production): one ES256 key,
 * generated on first use and kept in the state directory, that signs the tokens the CLI hands out
 * and that the local API checks as API Gateway's JWT authorizer would (signature, issuer,
 * audience, expiry). Signing and verification are jose's (SignJWT, jwtVerify), never our own.
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
  /** The token's claims; rejects with InvalidTokenError saying why it was refused. */
  verifyToken(token: string, options?: { now?: Date }): Promise<TokenClaims>;
}

export interface LocalSigningKey extends TokenVerifier {
  readonly kid: string;
  readonly publicJwk: JsonWebKey;
  issueToken(options: IssueTokenOptions): Promise<string>;
}

interface StoredKey {
  kid: string;
  alg: 'ES256';
  createdAt: string;
  privateJwk: JsonWebKey;
}

/** jose's refusal in the words the local API's 401 gives (and the tests look for). */
function refusal(error: unknown): InvalidTokenError {
  if (error instanceof InvalidTokenError) return error;
  const because = (message: string) => new InvalidTokenError(message, { cause: error });
  if (error instanceof errors.JWTExpired) return because('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return because(`the token's issuer is not ${LOCAL_ISSUER}`);
    if (error.claim === 'aud') return because(`the token's audience does not include ${LOCAL_AUDIENCE}`);
    if (error.claim === 'exp') return because('the token has no expiry (exp)');
    if (error.claim === 'nbf') return because('the token is not valid yet (nbf)');
    return because(`the token's ${error.claim} claim is not valid (${error.reason})`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return because("the token's algorithm is not ES256");
  if (error instanceof errors.JWSSignatureVerificationFailed) return because('the token signature does not verify');
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return because(`the token is not a compact JWS (three base64url segments): ${error.message}`);
  return because(error instanceof Error ? error.message : String(error));
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

    async issueToken({ tenant, subject, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS, now = new Date() }) {
      if (tenant.length === 0) throw new RangeError('a token needs a tenant');
      if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new RangeError('ttlSeconds must be a positive whole number of seconds');
      const iat = Math.floor(now.getTime() / 1000);
      return new SignJWT({ [LOCAL_TENANT_CLAIM]: tenant })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject(subject ?? `${tenant}-user`)
        .setIssuedAt(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
    },

    async verifyToken(token, { now = new Date() } = {}) {
      try {
        const { payload } = await jwtVerify<JWTPayload & TokenClaims>(
          token,
          (header) => {
            if (header.kid !== undefined && header.kid !== kid) throw new InvalidTokenError('the token was signed by another key');
            return publicKey;
          },
          // Only ES256: a token may not choose its own algorithm (no "none", no HS256 with the public key).
          { algorithms: ['ES256'], issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, requiredClaims: ['exp', 'sub', 'iat'], currentDate: now },
        );
        return payload;
      } catch (error) {
        throw refusal(error);
      }
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
