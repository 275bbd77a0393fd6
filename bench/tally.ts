/**
 * The meter's counts: one map of named numbers, so a whole scenario can be copied, compared
 * and subtracted (the bench's own look-ups) in one go, and read back by measure.
 */

/** Named counts; keys are `<measure>\t<detail…>` (see `KEYS`). */
export type Tally = Map<string, number>;

/** The measures a tally holds, each the first field of its keys. */
export const KEYS = {
  /** `call\t<emulator operation>`: requests as the emulators received them. */
  call: "call",
  /** `wu\t<table|index>\t<kind>`: write units. */
  writeUnits: "wu",
  /** `pk\t<table|index>\t<partition key value>`: write units per partition. */
  partitionUnits: "pk",
  /** `failed\t<table|index>`: write units of conditional writes that failed. */
  failedConditions: "failed",
  /** `ru\t<read>`: read units. */
  readUnits: "ru",
  /** `sqs\t<operation>`: billed SQS requests (64 KB chunks) of the operations billed per event. */
  sqs: "sqs",
  /** `sqs-other\t<operation>`: other SQS requests (set-up, the local alarm's queue-depth reads). */
  sqsOther: "sqs-other",
  /** `receive\tempty`, `receive\tmessages`: idle receives, and messages handed over. */
  receive: "receive",
  /** `eb\tentries`, `eb\tevents`: PutEvents entries, and the 64 KB events they bill. */
  eventBridge: "eb",
  /** `lambda\t<function>`: invocations. */
  lambda: "lambda",
  /** `api\trequests`: requests the API answered. */
  api: "api",
} as const;

/** The sum of a measure's counts whose detail starts with `detail` (all of them without). */
export function total(tally: Tally, measure: string, detail = ""): number {
  let sum = 0;
  for (const [key, value] of tally) {
    if (key.startsWith(`${measure}\t${detail}`)) sum += value;
  }
  return sum;
}

/** A measure's counts by detail field `field` (0: the first after the measure), summed. */
export function byField(tally: Tally, measure: string, field = 0): Map<string, number> {
  const sums = new Map<string, number>();
  for (const [key, value] of tally) {
    const [head, ...details] = key.split("\t");
    if (head !== measure) continue;
    const name = details[field] ?? "";
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  return sums;
}

/**
 * `a - b` for every key `keep` accepts (other keys of `a` stay as they are); a count that comes
 * to zero is dropped, so what `b` alone did leaves no empty row behind.
 */
export function subtract(a: Tally, b: Tally, keep: (key: string) => boolean = () => true): Tally {
  const result = new Map(a);
  for (const [key, value] of b) {
    if (!keep(key)) continue;
    const rest = (result.get(key) ?? 0) - value;
    if (Math.abs(rest) < 1e-9) result.delete(key);
    else result.set(key, rest);
  }
  return result;
}
