import { MethodNotAllowed, NotFound } from "../core/errors.ts";
import type { ApiContext, ApiEvent, ApiResult } from "./api-types.ts";

export interface RouteRequest {
  requestId: string;
  appId: string;
  body: unknown;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
}

/**
 * One route: data the stack also reads to create the API Gateway routes, and the function
 * that answers it given the handler's dependencies.
 */
export interface Route<Deps> {
  method: string;
  /** A path with `{name}` segments, e.g. `/api/v2/events/{slug}`. */
  path: string;
  handle: (deps: Deps, request: RouteRequest) => Promise<ApiResult>;
}

interface CompiledRoute<Deps> extends Route<Deps> {
  pattern: RegExp;
  names: string[];
}

/**
 * Dispatches on method and path: an unknown path is a 404, a known path with another method
 * a 405 (SPEC §2).
 */
export function createRouter<Deps>(
  routes: readonly Route<Deps>[],
  deps: Deps,
  /** Paths another function answers: any request that reaches this router there is a 405. */
  otherPaths: readonly string[] = [],
) {
  const compiled: CompiledRoute<Deps>[] = routes.map((route) => {
    const { pattern, names } = compilePath(route.path);
    return { ...route, pattern, names };
  });
  const others = otherPaths.map((path) => compilePath(path).pattern);

  return async (event: ApiEvent, context: ApiContext): Promise<ApiResult> => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath;
    let pathMatched = false;
    for (const route of compiled) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params = Object.fromEntries(
        route.names.map((name, index) => [name, decodePathSegment(match[index + 1] ?? "")]),
      );
      return route.handle(deps, {
        requestId: event.requestContext.requestId,
        appId: context.appId,
        body: context.body,
        params,
        query: event.queryStringParameters ?? {},
        headers: event.headers,
      });
    }
    if (pathMatched || others.some((pattern) => pattern.test(path))) {
      throw new MethodNotAllowed(method, path);
    }
    throw new NotFound(`no route ${method} ${path}`);
  };
}

/** `/api/v2/events/{slug}` → a pattern whose groups are the `{name}` segments. */
export function compilePath(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { pattern: new RegExp(`^${source}/?$`), names };
}

/** A malformed escape cannot name anything that exists: a 404, like any unknown id. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new NotFound(`no resource "${segment}"`);
  }
}
