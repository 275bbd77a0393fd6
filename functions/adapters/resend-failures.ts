/** Sends of one batch: the first and three resends of what failed. */
export const ATTEMPTS = 4;

export type Pause = (ms: number) => Promise<void>;
export const sleep: Pause = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the service answered to one send. */
export interface SendOutcome<T> {
  /** Entries that failed but may go through when sent again. */
  failed: T[];
  reason?: string | undefined;
}

/**
 * Sends a batch, then again only the entries the service reported as failed, with a short
 * exponential backoff; throws when some still fail after the last try. SendMessageBatch answers
 * 200 with per-entry failures, which must not be mistaken for success. (The EventBridge
 * publisher keeps each entry's own outcome instead, with the same tries and backoff.)
 */
export async function sendResendingFailures<T>(
  entries: T[],
  sendOnce: (entries: T[]) => Promise<SendOutcome<T>>,
  what: string,
  pause: Pause,
): Promise<void> {
  let pending = entries;
  let reason = "";
  for (let attempt = 1; attempt <= ATTEMPTS && pending.length; attempt++) {
    if (attempt > 1) await pause(50 * 2 ** attempt);
    const result = await sendOnce(pending);
    pending = result.failed;
    reason = result.reason ?? reason;
  }
  if (pending.length) throw new Error(`${what} refused ${pending.length} entries: ${reason}`);
}
