const ATTEMPTS = 4;

export type Pause = (ms: number) => Promise<void>;
export const sleep: Pause = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends a batch, then again only the entries the service reported as failed, with a short
 * exponential backoff; throws when some still fail after the last try. Batch APIs (PutEvents,
 * SendMessageBatch) answer 200 with per-entry failures, which must not be mistaken for success.
 */
export async function sendResendingFailures<T>(
  entries: T[],
  sendOnce: (entries: T[]) => Promise<{ failed: T[]; reason?: string | undefined }>,
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
