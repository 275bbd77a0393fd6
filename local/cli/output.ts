import Table from "cli-table3";
import pc from "picocolors";

/** A delivery as the API lists it: what the tables show of it. */
export interface DeliveryRow {
  id: string;
  event_type: string;
  target: { type: string; id: string };
  status: string;
  status_reason: string | null;
  attempt_count: number;
  updated_at: string;
  last_attempt: { status_code: number | null; error: string | null } | null;
}

const STATUS_COLOURS: Record<string, (text: string) => string> = {
  succeeded: pc.green,
  pending: pc.cyan,
  failed: pc.yellow,
  dead_lettered: pc.red,
  discarded: pc.dim,
};

/** A status in its colour (none when the terminal has no colours, or NO_COLOR is set). */
export const status = (value: string) => (STATUS_COLOURS[value] ?? ((text: string) => text))(value);

/** Rows under a header, as a table drawn for the terminal. */
export function table(head: string[], rows: (string | number)[][]): string {
  const drawn = new Table({
    head: head.map((cell) => pc.bold(cell)),
    style: { head: [], border: [] },
  });
  drawn.push(...rows.map((row) => row.map(String)));
  return drawn.toString();
}

export function deliveriesTable(deliveries: DeliveryRow[]): string {
  if (deliveries.length === 0) return pc.dim("(none)");
  return table(
    ["delivery", "event", "target", "status", "attempts", "last answer", "updated"],
    deliveries.map((delivery) => [
      delivery.id,
      delivery.event_type,
      `${delivery.target.type} ${delivery.target.id}`,
      status(delivery.status) +
        (delivery.status_reason ? pc.dim(` (${delivery.status_reason})`) : ""),
      delivery.attempt_count,
      lastAnswer(delivery.last_attempt),
      delivery.updated_at,
    ]),
  );
}

export function lastAnswer(attempt: DeliveryRow["last_attempt"]): string {
  if (!attempt) return "";
  return attempt.error ?? (attempt.status_code === null ? "" : `HTTP ${attempt.status_code}`);
}

/** A list's next cursor, said once under its table. */
export const morePages = (cursor: string | null) =>
  cursor ? pc.dim(`more: --cursor ${cursor}`) : "";
