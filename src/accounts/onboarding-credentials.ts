import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomId } from '../ids';

/**
 * The secrets of onboarding, all from the operating system's CSPRNG:
 * - the ExternalId (256 bits): ours, never accepted from a client; it is what stops another
 *   Groundwork tenant from making us act in this account (the confused deputy);
 * - the registration token (256 bits): proves a custom-resource callback comes from the stack
 *   launched from this account's link; only its SHA-256 is kept, and it expires after 48 hours.
 */
export const REGISTRATION_TOKEN_TTL_MS = 48 * 60 * 60 * 1000;

export function newAccountId(): string {
  return `acc_${randomId(20)}`;
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
