/** Sends of one batch: the first and three resends of what failed. */
export const ATTEMPTS = 4;

export type Pause = (ms: number) => Promise<void>;
export const sleep: Pause = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the service answered to one send. */
export interface SendOutcome<T> {
  /** Entries that failed but may go through when sent again. */
  failed: T[];
  /** Entries the service refused for good: sending them again cannot help. */
  refused?: T[] | undefined;
  reason?: string | undefined;
}

/**
 * Sends a batch, then again only the entries the service reported as failed, with a short
 * exponential backoff; throws when some still fail after the last try. Batch APIs (PutEvents,
 * SendMessageBatch) answer 200 with per-entry failures, which must not be mistaken for success.
 * Answers the entries refused for good, which are never sent again (none when all went
 * through); the caller decides what a refusal means.
 */
export async function sendResendingFailures<T>(
  entries: T[],
  sendOnce: (entries: T[]) => Promise<SendOutcome<T>>,
  what: string,
  pause: Pause,
): Promise<T[]> {
  let pending = entries;
  const refused: T[] = [];
  let reason = "";
  for (let attempt = 1; attempt <= ATTEMPTS && pending.length; attempt++) {
    if (attempt > 1) await pause(50 * 2 ** attempt);
    const result = await sendOnce(pending);
    pending = result.failed;
    refused.push(...(result.refused ?? []));
    reason = result.reason ?? reason;
  }
  if (pending.length) throw new Error(`${what} refused ${pending.length} entries: ${reason}`);
  return refused;
}
