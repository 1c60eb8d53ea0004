import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How SNS and EventBridge hand an event to a Lambda target: asynchronously (the publisher has
 * its answer first), and a failed invocation is tried again, as Lambda retries an asynchronous
 * invocation twice (after about one and two minutes; locally shorter, by default).
 */
export interface DeliveryOptions {
  /** The wait before each retry; its length is the number of retries (default [1000, 2000]). */
  retryDelaysMs?: number[];
}

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 2000];

/** Never rejects: a delivery that fails on every attempt is reported through onFailure, as each attempt is. */
export async function deliverAsynchronously(
  deliver: () => Promise<void>,
  options: DeliveryOptions,
  onFailure: (error: unknown, attempt: number, final: boolean) => void,
): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await deliver();
      return;
    } catch (error) {
      const delay = delays[attempt - 1];
      onFailure(error, attempt, delay === undefined);
      if (delay === undefined) return;
      await sleep(delay);
    }
  }
}
