import type { GroundworkEvents } from '../../src/events/event-details';
import type { EventPublisher } from '../../src/events/event-publisher';

/** An EventPublisher that keeps what it is given, and can be made to fail. */
export function recordedEvents() {
  const published: Array<{ type: keyof GroundworkEvents; detail: GroundworkEvents[keyof GroundworkEvents] }> = [];
  let failure: Error | undefined;
  const publisher: EventPublisher = {
    publish: async (type, detail) => {
      if (failure) throw failure;
      published.push({ type, detail });
    },
  };
  return {
    publisher,
    published,
    failWith: (error: Error | undefined) => {
      failure = error;
    },
  };
}
