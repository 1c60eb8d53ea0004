import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The secrets of onboarding, all from the operating system's CSPRNG:
 * - the ExternalId (256 bits): ours, never accepted from a client; it is what stops another
 *   Groundwork tenant from making us act in this account (the confused deputy);
 * - the registration token (256 bits): proves a custom-resource callback comes from the stack
 *   launched from this account's link; only its SHA-256 is kept, and it expires after 48 hours.
 */
export const REGISTRATION_TOKEN_TTL_MS = 48 * 60 * 60 * 1000;
const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newAccountId(): string {
  return `acc_${randomId(20)}`;
}

/** Uniform over the alphabet: bytes at or above the largest multiple of its size are redrawn. */
export function randomId(length: number): string {
  const limit = 256 - (256 % ID_ALPHABET.length);
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += ID_ALPHABET[byte % ID_ALPHABET.length];
    }
  }
  return out;
}

/** base64url is within the ExternalId character set ([\w+=,.@:/-]). */
export function newExternalId(): string {
  return randomBytes(32).toString('base64url');
}

export function newRegistrationToken(): string {
  return `gwr_${randomBytes(32).toString('base64url')}`;
}

export function hashRegistrationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function registrationTokenMatches(token: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashRegistrationToken(token), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
