import { SingleBar } from "cli-progress";
import { type ApiTarget, CliError, callApi } from "./api-client.ts";

/** What a call that works through a batch answers: its count, and where to go on from. */
type BatchAnswer = Record<string, unknown> & { next_cursor: string | null; skipped?: string[] };

/**
 * Calls a route that takes a batch a call (a DLQ redrive or purge, a replay to a subscription)
 * until its `next_cursor` is null, from `cursor` when given, adding up what each call
 * `counted`, with a progress bar on an interactive terminal unless `--json` was asked for. A
 * call that fails after others went through says how to go on from there (`--cursor`), so
 * running the command again does not send the done batches twice.
 */
export async function everyBatch(
  target: ApiTarget,
  options: {
    path: string;
    body: Record<string, unknown>;
    cursor?: string | undefined;
    counted: string;
    label: string;
    json: boolean;
  },
): Promise<{ total: number; skipped: string[] }> {
  const { path, body, counted, label } = options;
  const bar =
    options.json || !process.stderr.isTTY
      ? undefined
      : new SingleBar({ format: `${label} {bar} {value} done` });
  bar?.start(0, 0);
  let total = 0;
  const skipped: string[] = [];
  let cursor = options.cursor;
  try {
    for (;;) {
      const answer = (await callApi(target, "POST", path, {
        body: { ...body, cursor },
      }).catch((error: unknown) => {
        if (cursor === undefined) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new CliError(`${reason}; ${total} ${counted} so far: go on with --cursor ${cursor}`);
      })) as BatchAnswer;
      total += Number(answer[counted]);
      skipped.push(...(answer.skipped ?? []));
      // A batch is at most 100: the bar's end moves on while more remain.
      bar?.setTotal(total + (answer.next_cursor === null ? 0 : 100));
      bar?.update(total);
      if (answer.next_cursor === null) break;
      cursor = answer.next_cursor;
    }
  } finally {
    bar?.stop();
  }
  return { total, skipped };
}
