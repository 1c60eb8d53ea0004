import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AwsApiError } from './errors';
import type { KeyPairRecord } from './sandbox-state';

/**
 * EC2 key pairs of a sandbox account, as CreateKeyPair, ImportKeyPair, DescribeKeyPairs and
 * DeleteKeyPair make and show them (EC2 API Reference, read 2026-12-06). The sandbox keeps the
 * public key only; CreateKeyPair's private key is answered once, as EC2 does. Fingerprints follow
 * the API reference: a created RSA key's is the SHA-1 digest of its DER-encoded (PKCS#8) private key,
 * an imported RSA key's the MD5 of its public key blob (RFC 4716, section 4), an ED25519 key's the
 * base64 SHA-256 digest of its public key blob, as OpenSSH prints it.
 */

/** EC2's words (hashicorp/vault-guides#260, floci-io/floci#1932: InvalidKeyPair.NotFound, 400). */
export const keyPairNotFound = (name: string) => new AwsApiError('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`);
const keyPairIdNotFound = (id: string) => new AwsApiError('InvalidKeyPair.NotFound', `The key pair ID '${id}' does not exist`);
/** EC2's words for a name in use (InvalidKeyPair.Duplicate, "The keypair 'x' already exists."). */
const duplicate = (name: string) => new AwsApiError('InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`);

export interface NewKeyPair {
  keyName: string;
  keyType?: string | undefined;
  tags: Array<{ Key: string; Value: string }>;
}

/** A name EC2 accepts: up to 255 ASCII characters. */
function checkKeyName(name: string | undefined): string {
  if (name === undefined || name === '') throw new AwsApiError('MissingParameter', "The request must contain the parameter KeyName");
  // EC2 API Reference, CreateKeyPair KeyName: "Constraints: Up to 255 ASCII characters".
  if (name.length > 255 || !/^[\x20-\x7e]+$/.test(name)) {
    throw new AwsApiError('InvalidParameterValue', `Value (${name}) for parameter keyName is invalid. Length exceeds maximum of 255 ASCII characters or contains characters outside the ASCII range`);
  }
  return name;
}

/** CreateKeyPair: a new key (its name not among `takenNames`, the region's); its record, and the private key EC2 answers once. */
export function createKeyPair(takenNames: readonly string[], region: string, request: NewKeyPair, id: string, now: number): { record: KeyPairRecord; keyMaterial: string } {
  const keyName = checkKeyName(request.keyName);
  if (takenNames.includes(keyName)) throw duplicate(keyName);
  const keyType = request.keyType ?? 'rsa';
  if (keyType !== 'rsa' && keyType !== 'ed25519') throw new AwsApiError('InvalidParameterValue', `Value (${keyType}) for parameter keyType is invalid. Valid values: rsa, ed25519`);
  const { privateKey, publicKey } = keyType === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
  const blob = opensshBlob(publicKey);
  const keyFingerprint = keyType === 'rsa' ? colonHex(createHash('sha1').update(privateKey.export({ format: 'der', type: 'pkcs8' })).digest('hex')) : sha256Fingerprint(blob);
  const keyMaterial = String(keyType === 'rsa' ? privateKey.export({ format: 'pem', type: 'pkcs1' }) : privateKey.export({ format: 'pem', type: 'pkcs8' })).trimEnd();
  const record = { region, keyName, keyPairId: id, keyType, keyFingerprint, publicKey: `${sshType(keyType)} ${blob.toString('base64')}`, createTime: now, tags: request.tags } satisfies KeyPairRecord;
  return { record, keyMaterial };
}

/** ImportKeyPair: an OpenSSH public key (`ssh-rsa …` or `ssh-ed25519 …`) given base64-encoded. */
export function importKeyPair(takenNames: readonly string[], region: string, request: NewKeyPair & { publicKeyMaterial: string | undefined }, id: string, now: number): KeyPairRecord {
  const keyName = checkKeyName(request.keyName);
  if (request.publicKeyMaterial === undefined) throw new AwsApiError('MissingParameter', 'The request must contain the parameter PublicKeyMaterial');
  if (takenNames.includes(keyName)) throw duplicate(keyName);
  const text = Buffer.from(request.publicKeyMaterial, 'base64').toString('utf8').trim();
  const [type = '', encoded = ''] = text.split(/\s+/);
  const blob = Buffer.from(encoded, 'base64');
  const keyType = type === 'ssh-rsa' ? 'rsa' : type === 'ssh-ed25519' ? 'ed25519' : undefined;
  // The blob starts with its own type name (RFC 4253, section 6.6).
  if (keyType === undefined || blob.length < 4 || blob.subarray(4, 4 + blob.readUInt32BE(0)).toString() !== type) {
    throw new AwsApiError('InvalidKey.Format', 'Key is not in valid OpenSSH public key format');
  }
  const keyFingerprint = keyType === 'rsa' ? colonHex(createHash('md5').update(blob).digest('hex')) : sha256Fingerprint(blob);
  return { region, keyName, keyPairId: id, keyType, keyFingerprint, publicKey: `${type} ${encoded}`, createTime: now, tags: request.tags };
}

/** DescribeKeyPairs: by name, by id and by filter (key-name, key-pair-id, fingerprint, key-type, tag:<key>). */
export function describeKeyPairs(
  pairs: readonly KeyPairRecord[],
  region: string,
  request: { names: string[]; ids: string[]; filters: Array<[string, string[]]> },
  globsMatch: (patterns: string[] | undefined, value: string) => boolean,
): KeyPairRecord[] {
  const here = pairs.filter((pair) => pair.region === region);
  for (const name of request.names) if (!here.some((pair) => pair.keyName === name)) throw keyPairNotFound(name);
  for (const id of request.ids) if (!here.some((pair) => pair.keyPairId === id)) throw keyPairIdNotFound(id);
  return here.filter((pair) => {
    if (request.names.length > 0 && !request.names.includes(pair.keyName)) return false;
    if (request.ids.length > 0 && !request.ids.includes(pair.keyPairId)) return false;
    return request.filters.every(([name, values]) => {
      if (name.startsWith('tag:')) return pair.tags.some((tag) => tag.Key === name.slice(4) && globsMatch(values, tag.Value));
      const field = { 'key-name': pair.keyName, 'key-pair-id': pair.keyPairId, fingerprint: pair.keyFingerprint, 'key-type': pair.keyType }[name];
      if (field === undefined) throw new AwsApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
      return globsMatch(values, field);
    });
  });
}

/**
 * DeleteKeyPair, by name or id: the pair it removes, if any. By name, a key pair that does not exist
 * is not an error (EC2 answers `true`; "EC2 API Reference, DeleteKeyPair" names no NotFound error);
 * by id the sandbox answers InvalidKeyPair.NotFound, which no AWS document confirms.
 */
export function keyPairToDelete(pairs: readonly KeyPairRecord[], region: string, request: { keyName?: string | undefined; keyPairId?: string | undefined }): KeyPairRecord | undefined {
  if (request.keyName === undefined && request.keyPairId === undefined) throw new AwsApiError('MissingParameter', 'The request must contain the parameter KeyName or KeyPairId');
  const found = pairs.find((pair) => pair.region === region && (request.keyPairId === undefined ? pair.keyName === request.keyName : pair.keyPairId === request.keyPairId));
  if (found === undefined && request.keyPairId !== undefined) throw keyPairIdNotFound(request.keyPairId);
  return found;
}

/** A key pair as DescribeKeyPairs lists it (EC2 query protocol element names). */
export function keyPairItem(pair: KeyPairRecord, includePublicKey: boolean): Record<string, string | Date | Array<Record<string, string>>> {
  return {
    keyPairId: pair.keyPairId,
    keyType: pair.keyType,
    tagSet: pair.tags.map(({ Key, Value }) => ({ key: Key, value: Value })),
    keyName: pair.keyName,
    keyFingerprint: pair.keyFingerprint,
    createTime: new Date(pair.createTime),
    ...(includePublicKey ? { publicKey: pair.publicKey } : {}),
  };
}

const sshType = (keyType: 'rsa' | 'ed25519') => (keyType === 'rsa' ? 'ssh-rsa' : 'ssh-ed25519');

function colonHex(hex: string): string {
  return hex.match(/../g)?.join(':') ?? hex;
}

function sha256Fingerprint(blob: Buffer): string {
  return createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The OpenSSH wire format of a public key (RFC 4253, section 6.6; RFC 8709 for ED25519). */
function opensshBlob(publicKey: KeyObject): Buffer {
  const field = (data: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, index) => (data.length >>> (8 * (3 - index))) & 0xff)), data]);
  const mpint = (data: Buffer) => field(data[0] !== undefined && data[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), data]) : data);
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty === 'RSA') return Buffer.concat([field(Buffer.from('ssh-rsa')), mpint(Buffer.from(jwk.e ?? '', 'base64url')), mpint(Buffer.from(jwk.n ?? '', 'base64url'))]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(Buffer.from(jwk.x ?? '', 'base64url'))]);
}
