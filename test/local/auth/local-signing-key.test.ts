import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto';
import { InvalidTokenError, SigningKeyError } from '../../../local/auth/errors';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, createEphemeralSigningKey, loadOrCreateSigningKey } from '../../../local/auth/local-signing-key';

const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('the local signing key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'groundwork-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('issues an ES256 token with the issuer, audience, subject, tenant and expiry API Gateway checks', async () => {
    const key = createEphemeralSigningKey();
    const now = new Date('2026-11-22T10:00:00Z');
    const token = await key.issueToken({ tenant: 'acme', subject: 'alice', ttlSeconds: 600, now });

    const [header, payload, signature] = token.split('.');
    expect(decode(header)).toEqual({ alg: 'ES256', typ: 'JWT', kid: key.kid });
    expect(decode(payload)).toMatchObject({ iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, sub: 'alice', tenant: 'acme', iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 600 });
    expect(Buffer.from(signature ?? '', 'base64url')).toHaveLength(64);
    await expect(key.verifyToken(token, { now })).resolves.toMatchObject({ tenant: 'acme', sub: 'alice' });
  });

  it('is made once and kept: a second load reads the same key, readable only by its owner', async () => {
    const file = join(dir, 'state', 'jwt-signing-key.json');
    const first = loadOrCreateSigningKey(file);
    const second = loadOrCreateSigningKey(file);

    expect(second.kid).toBe(first.kid);
    await expect(second.verifyToken(await first.issueToken({ tenant: 'acme' }))).resolves.toMatchObject({ tenant: 'acme' });
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ alg: 'ES256', kid: first.kid });
  });

  it('says what to do with a corrupt key file', () => {
    const file = join(dir, 'jwt-signing-key.json');
    writeFileSync(file, 'not json');
    expect(() => loadOrCreateSigningKey(file)).toThrow(SigningKeyError);
  });

  describe('refuses', () => {
    const key = createEphemeralSigningKey();
    const now = new Date('2026-11-22T10:00:00Z');
    let header = '';
    let payload = '';
    let signature = '';
    beforeAll(async () => {
      [header = '', payload = '', signature = ''] = (await key.issueToken({ tenant: 'acme', now })).split('.');
    });
    const refused = async (token: string, reason: RegExp) => {
      const verdict = key.verifyToken(token, { now });
      await expect(verdict).rejects.toThrow(InvalidTokenError);
      await expect(verdict).rejects.toThrow(reason);
    };

    it('a token whose claims were changed after signing', async () => {
      await refused(`${header}.${segment({ ...decode(payload), tenant: 'globex' })}.${signature}`, /signature/);
    });

    it('an expired token, and one not valid yet', async () => {
      await refused(await key.issueToken({ tenant: 'acme', ttlSeconds: 60, now: new Date(now.getTime() - 61_000) }), /expired/);
      await expect(key.verifyToken(await key.issueToken({ tenant: 'acme', ttlSeconds: 60, now }), { now: new Date(now.getTime() + 60_000) })).rejects.toThrow(/expired/);
    });

    it('a token signed by another key', async () => {
      await refused(await createEphemeralSigningKey().issueToken({ tenant: 'acme', now }), /another key/);
      // Without a kid to give it away, the signature itself fails.
      const [, otherPayload = '', otherSignature = ''] = (await createEphemeralSigningKey().issueToken({ tenant: 'acme', now })).split('.');
      await refused(`${segment({ alg: 'ES256', typ: 'JWT' })}.${otherPayload}.${otherSignature}`, /signature/);
    });

    it('a token for another audience or from another issuer, even when properly signed', async () => {
      // Signed with the key itself (read from its file) by node:crypto, not jose, so only the claims are wrong.
      const file = join(dir, 'jwt-signing-key.json');
      const stored = loadOrCreateSigningKey(file);
      const privateKey = createPrivateKey({ key: (JSON.parse(readFileSync(file, 'utf8')) as { privateJwk: JsonWebKey }).privateJwk, format: 'jwk' });
      const signWith = (claims: Record<string, unknown>) => {
        const input = `${segment({ alg: 'ES256', typ: 'JWT', kid: stored.kid })}.${segment(claims)}`;
        const sig = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
        return `${input}.${sig.toString('base64url')}`;
      };
      const base = { ...decode(payload) };
      await expect(stored.verifyToken(signWith(base), { now })).resolves.toMatchObject({ tenant: 'acme' });
      await expect(stored.verifyToken(signWith({ ...base, aud: 'someone-else' }), { now })).rejects.toThrow(/audience/);
      await expect(stored.verifyToken(signWith({ ...base, aud: ['someone-else', LOCAL_AUDIENCE] }), { now })).resolves.toBeDefined();
      await expect(stored.verifyToken(signWith({ ...base, iss: 'https://evil.example' }), { now })).rejects.toThrow(/issuer/);
      await expect(stored.verifyToken(signWith({ ...base, exp: undefined }), { now })).rejects.toThrow(/expiry/);
      await expect(stored.verifyToken(signWith({ ...base, nbf: base['iat'] as number + 60 }), { now })).rejects.toThrow(/not valid yet/);
    });

    it('the "none" algorithm and an HMAC header', async () => {
      await refused(`${segment({ alg: 'none', typ: 'JWT' })}.${payload}.`, /compact JWS|algorithm/);
      await refused(`${segment({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${payload}.${signature}`, /algorithm/);
    });

    it('anything that is not a compact JWS', async () => {
      await refused('', /compact JWS/);
      await refused('a.b', /compact JWS/);
      await refused(`${header}.${payload}.${signature}.extra`, /compact JWS/);
      await refused(`${header}.${payload}.${signature.slice(0, -4)}`, /signature/);
    });
  });
});
