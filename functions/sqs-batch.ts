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
  const results = await Promise.all(
    event.Records.map(async (record): Promise<RecordResult> => {
      try {
        return await handle(record);
      } catch (error) {
        onFailure(record, error);
        return "keep";
      }
    }),
  );
  return {
    batchItemFailures: event.Records.flatMap((record, index) =>
      results[index] === "keep" ? [{ itemIdentifier: record.messageId }] : [],
    ),
  };
}
