import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What every plain AWS SDK client in these tests is given: the edge, and the service account as access key. */
export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: '000000000000', secretAccessKey: 'x' },
});

/** Polls until `read()` satisfies `done`, or fails after timeoutMs with the last value seen. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function temporaryDirectory(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'groundwork-local-services-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A SigV4 Authorization header of the right shape (the edge reads its scope, never the signature). */
export const authorization = (service: string, accessKeyId = '000000000000') =>
  `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20250101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000`;
