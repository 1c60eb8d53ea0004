import type { Logger } from '../../log/logger';
import type { CustomResourceResponse } from './custom-resource-request';

/**
 * Puts the custom-resource response to the presigned ResponseURL. The URL is a credential: it is
 * never logged, not even on failure. Transient failures (network, 5xx) are retried within the
 * time given; a 4xx is final.
 */
export type AnswerCloudFormation = (responseUrl: string, response: CustomResourceResponse, options: { timeoutMs: number }) => Promise<void>;

export class CloudFormationAnswerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CloudFormationAnswerError';
  }
}

export function createCloudFormationAnswerer(logger: Logger, fetchImpl: typeof fetch = fetch): AnswerCloudFormation {
  return async (responseUrl, response, { timeoutMs }) => {
    const body = JSON.stringify(response);
    const deadline = Date.now() + timeoutMs;
    let attempt = 0;
    let lastError = '';
    while (Date.now() < deadline) {
      attempt += 1;
      try {
        const result = await fetchImpl(responseUrl, {
          method: 'PUT',
          // The presigned URL signs no content type: send none.
          headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(Math.max(250, deadline - Date.now())),
        });
        if (result.ok) {
          logger.info('answered CloudFormation', { requestId: response.RequestId, status: response.Status, attempt });
          return;
        }
        lastError = `HTTP ${result.status}`;
        if (result.status < 500) break;
      } catch (error) {
        lastError = error instanceof Error ? error.name : 'network error';
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** attempt, Math.max(0, deadline - Date.now()))));
    }
    throw new CloudFormationAnswerError(`could not deliver the ${response.Status} answer for request ${response.RequestId}: ${lastError}`);
  };
}
