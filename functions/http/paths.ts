import { compilePath } from "./router.ts";

/**
 * The trigger function's paths. The management function knows them too, so a request there
 * with another method (which API Gateway sends to the management function's `$default`) is a
 * 405, not a 404.
 */
export const TRIGGER_PATHS = [
  "/api/v2/public/event/{slug}",
  "/api/v2/public/event",
  "/api/v2/public/events/batch",
] as const;

const TRIGGER_PATTERNS = TRIGGER_PATHS.map((path) => compilePath(path).pattern);

/** Whether API Gateway sends this request to the trigger function (its routes are POSTs). */
export function isTriggerRoute(method: string, path: string): boolean {
  return method === "POST" && TRIGGER_PATTERNS.some((pattern) => pattern.test(path));
}
