import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/** What became of one record: `done` may be deleted; `keep` stays for its next receive. */
export type RecordResult = "done" | "keep";

/**
 * Handles every record of an SQS batch at once and answers Lambda's partial batch response:
 * the records whose handling asked to be kept or failed are `batchItemFailures`, so SQS keeps
 * them (to come back after their visibility timeout) and deletes the rest. A failure is handed
 * to `onFailure` and never fails the batch: one bad record does not bring back its neighbours.
 */
export async function eachRecord(
  event: SQSEvent,
  handle: (record: SQSRecord) => Promise<RecordResult>,
  onFailure: (record: SQSRecord, error: unknown) => void,
): Promise<SQSBatchResponse> {
  const results = await Promise.all(event.Records.map(keptOnFailure(handle, onFailure)));
  return {
    batchItemFailures: event.Records.flatMap((record, index) =>
      results[index] === "keep" ? [{ itemIdentifier: record.messageId }] : [],
    ),
  };
}

/**
 * `eachRecord` for a FIFO queue, with Lambda's FIFO rule for partial batch responses: a
 * group's records are handled one after another, in order, and once one of them is to be
 * kept (or fails), the group's later records are not handled at all — they are reported with
 * it, and handed to `release` (latest first) to be shown again at once rather than after the
 * visibility timeout, so they cannot overtake it and do not hold its group back longer than
 * it holds itself. Groups go in parallel. `release` must not throw: one that cannot show them
 * leaves them to their visibility timeout.
 */
export async function eachRecordInOrder(
  event: SQSEvent,
  handle: (record: SQSRecord) => Promise<RecordResult>,
  onFailure: (record: SQSRecord, error: unknown) => void,
  release: (records: SQSRecord[]) => Promise<void>,
): Promise<SQSBatchResponse> {
  const turn = keptOnFailure(handle, onFailure);
  const groups = new Map<string, SQSRecord[]>();
  for (const record of event.Records) {
    const group = record.attributes.MessageGroupId ?? "";
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  const kept = new Set<string>();
  await Promise.all(
    [...groups.values()].map(async (records) => {
      for (const [index, record] of records.entries()) {
        if ((await turn(record)) === "done") continue;
        const later = records.slice(index + 1);
        for (const each of [record, ...later]) kept.add(each.messageId);
        if (later.length > 0) {
          // Shown again latest first: a queue that puts each one shown back at the head of its
          // group (fauxqs does) then holds them in their order. SQS orders by sequence anyway.
          await release(later.reverse());
        }
        return;
      }
    }),
  );
  return {
    batchItemFailures: event.Records.flatMap((record) =>
      kept.has(record.messageId) ? [{ itemIdentifier: record.messageId }] : [],
    ),
  };
}

/** `handle`, with a record whose handling throws handed to `onFailure` and kept. */
function keptOnFailure(
  handle: (record: SQSRecord) => Promise<RecordResult>,
  onFailure: (record: SQSRecord, error: unknown) => void,
) {
  return async (record: SQSRecord): Promise<RecordResult> => {
    try {
      return await handle(record);
    } catch (error) {
      onFailure(record, error);
      return "keep";
    }
  };
}
