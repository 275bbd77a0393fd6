import { BadRequest } from "./errors.ts";

/**
 * An opaque cursor: where a list or a batch of work goes on from, bound to the app and the
 * request it answered (`scope`), so another list's, another app's or a tampered one is a 400.
 */
export function encodeCursor(scope: string, position: string): string {
  return Buffer.from(JSON.stringify({ scope, position })).toString("base64url");
}

/** The position a cursor holds; a 400 saying `mismatch` when it is not one `scope` answered. */
export function decodeCursor(
  cursor: string,
  scope: string,
  isPosition: (position: string) => boolean,
  mismatch: string,
): string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new BadRequest(mismatch);
  }
  const { scope: its, position } = (value ?? {}) as { scope?: unknown; position?: unknown };
  if (its !== scope || typeof position !== "string" || !isPosition(position)) {
    throw new BadRequest(mismatch);
  }
  return position;
}
