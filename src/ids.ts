import { randomBytes } from 'node:crypto';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random id of lower-case letters and digits, from the operating system's CSPRNG (account and
 * stack ids). Uniform over the alphabet: bytes at or above the largest multiple of its size are redrawn.
 */
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
