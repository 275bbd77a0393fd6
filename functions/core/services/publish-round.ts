import type { RoutedEvent } from "../model.ts";
import type { EventPublisher } from "../ports.ts";

/** PutEvents takes at most 10 entries a call. */
export const PUBLISH_BATCH = 10;

/**
 * One round of publishing for many triggers running at once (the batch trigger): each trigger
 * publishes through its own participant's publisher as if it were alone, and the round puts
 * their events on the bus together, ten to a call. A call goes out as soon as ten events wait,
 * and the rest once every participant has either published or left (finished without
 * publishing: refused, or answered from its idempotency key). Each waiting publish settles with
 * its own event's outcome, so each trigger keeps its own guarantees: a refused event is undone,
 * one that may have been taken stays stored for a retry, the others are accepted.
 *
 * Run at least ten participants at once, or all of them if fewer: a round only sends a partial
 * call when nobody else can still join it.
 */
export function publishRound(bus: EventPublisher, participants: number) {
  let waiting: { event: RoutedEvent; settle: (error?: unknown) => void }[] = [];
  let arrived = 0;

  // Each entry settles with its own outcome: a call may take some events and refuse others.
  const send = (batch: typeof waiting) => {
    Promise.resolve()
      .then(() => bus.publishEach(batch.map((entry) => entry.event)))
      .then(
        (outcomes) => {
          for (const [index, entry] of batch.entries()) entry.settle(outcomes[index]);
        },
        (error: unknown) => {
          for (const entry of batch) entry.settle(error);
        },
      );
  };
  const flush = (all: boolean) => {
    while (waiting.length >= PUBLISH_BATCH || (all && waiting.length > 0)) {
      send(waiting.slice(0, PUBLISH_BATCH));
      waiting = waiting.slice(PUBLISH_BATCH);
    }
  };
  const arrive = () => {
    arrived++;
    flush(arrived >= participants);
  };

  /** The publisher of one participant, and how it says it has finished. */
  return function participant(): { publisher: EventPublisher; leave(): void } {
    let present = true;
    const once = () => {
      if (!present) return false;
      present = false;
      return true;
    };
    return {
      publisher: {
        publishEach: (events) => bus.publishEach(events),
        publish(events) {
          if (!once()) return bus.publish(events); // a second publish of one trigger goes alone
          return new Promise<void>((resolve, reject) => {
            const [first, ...rest] = events;
            if (first === undefined || rest.length > 0) {
              // One trigger publishes one event; anything else is not the round's to batch.
              bus.publish(events).then(resolve, reject);
              arrive();
              return;
            }
            waiting.push({
              event: first,
              settle: (error) => (error === undefined ? resolve() : reject(error)),
            });
            arrive();
          });
        },
      },
      leave() {
        if (once()) arrive();
      },
    };
  };
}
