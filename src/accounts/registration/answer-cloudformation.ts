import type { Logger } from '../../log/logger';
import type { CustomResourceResponse } from './custom-resource-request';

/**
 * Puts the custom-resource response to the presigned ResponseURL. The URL is a credential: it is
 * never logged, not even on failure. Only what S3 itself says is transient is retried (a 5xx, or a
 * connection it dropped mid-request), a few times within the time given. A host that does not
 * resolve, refuses or never accepts the connection, or fails TLS, is final at once: it is not
 * S3 having a bad second, and retrying it would hold the function for a stranger (security
 * review H4). A 4xx is final too.
 */
export type AnswerCloudFormation = (responseUrl: string, response: CustomResourceResponse, options: { timeoutMs: number }) => Promise<void>;

export class CloudFormationAnswerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CloudFormationAnswerError';
  }
}

/** Enough for S3's rare 503 SlowDown; the deadline bounds them anyway. */
const MAX_ATTEMPTS = 4;
/** One PUT of under 4 KB to S3: a slower attempt is not going to finish. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** Socket errors after the connection was made (Node's fetch, undici): S3 closed it on us. */
const DROPPED_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export function createCloudFormationAnswerer(logger: Logger, fetchImpl: typeof fetch = fetch): AnswerCloudFormation {
  return async (responseUrl, response, { timeoutMs }) => {
    const body = JSON.stringify(response);
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && Date.now() < deadline; attempt += 1) {
      try {
        const result = await fetchImpl(responseUrl, {
          method: 'PUT',
          // The presigned URL signs no content type: send none.
          headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(Math.max(250, Math.min(ATTEMPT_TIMEOUT_MS, deadline - Date.now()))),
        });
        if (result.ok) {
          logger.info('answered CloudFormation', { requestId: response.RequestId, status: response.Status, attempt });
          return;
        }
        lastError = `HTTP ${result.status}`;
        if (result.status < 500) break;
      } catch (error) {
        lastError = failureName(error);
        if (!DROPPED_CONNECTION.has(lastError)) break;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** attempt, Math.max(0, deadline - Date.now()))));
    }
    throw new CloudFormationAnswerError(`could not deliver the ${response.Status} answer for request ${response.RequestId}: ${lastError}`);
  };
}

/**
 * Node's fetch throws a bare TypeError('fetch failed'); what went wrong is the code of its cause.
 * Read by shape, not instanceof: the error may come from another realm (a test's VM context).
 */
function failureName(error: unknown): string {
  const { name, cause } = (typeof error === 'object' && error !== null ? error : {}) as { name?: unknown; cause?: { code?: unknown } };
  if (typeof cause === 'object' && cause !== null && typeof cause.code === 'string') return cause.code;
  return typeof name === 'string' ? name : 'network error';
}
