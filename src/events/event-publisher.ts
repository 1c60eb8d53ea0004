import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GroundworkError } from '../errors';
import type { GroundworkEvents } from './event-details';

/** Every change of state is published on the `groundwork-<stage>` bus with source "groundwork". */
export const EVENT_SOURCE = 'groundwork';

export interface EventPublisher {
  publish<T extends keyof GroundworkEvents>(detailType: T, detail: GroundworkEvents[T], options?: { signal?: AbortSignal }): Promise<void>;
}

export class EventPublishError extends GroundworkError {
  readonly status = 500;
  readonly code = 'event-publish-failed';
  override readonly expose = false;
}

export function createEventPublisher(client: EventBridgeClient, eventBusName: string): EventPublisher {
  return {
    async publish(detailType, detail, options) {
      const result = await client.send(
        new PutEventsCommand({
          Entries: [{ EventBusName: eventBusName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }],
        }),
        options?.signal ? { abortSignal: options.signal } : {},
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const entry = result.Entries?.[0];
        throw new EventPublishError(`EventBridge refused the ${detailType} event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
      }
    },
  };
}
