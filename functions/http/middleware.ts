import type { MiddlewareObj } from "@middy/core";
import { API_KEY_PATTERN, hashApiKey } from "../core/api-keys.ts";
import {
  asHttpError,
  BadRequest,
  PayloadTooLarge,
  Unauthorized,
  UnsupportedMediaType,
} from "../core/errors.ts";
import { isJsonObject, type JsonType, jsonType } from "../core/json.ts";
import { LIMITS } from "../core/limits.ts";
import type { AppStore } from "../core/ports.ts";
import { CONFIGURATION_CACHE_MS } from "../core/services/expiring-cache.ts";
import { type ApiContext, type ApiEvent, type ApiResult, json } from "./api-types.ts";

type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext>;

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

/**
 * Turns any error into the SPEC §2 error body and puts `x-request-id` on every answer. A 5xx
 * body says nothing of its cause; the cause goes to the log.
 */
export function errorResponses(log: (message: string, error: unknown) => void): ApiMiddleware {
  const requestId = (event: ApiEvent) => event.requestContext?.requestId ?? "";
  return {
    after: async (request) => {
      const response = request.response ?? { statusCode: 204 };
      response.headers = { ...response.headers, "x-request-id": requestId(request.event) };
      request.response = response;
    },
    onError: async (request) => {
      const error = asHttpError(request.error);
      if (error.statusCode >= 500) log("request failed", request.error);
      const response = json(error.statusCode, {
        status_code: error.statusCode,
        error_type: error.errorType,
        message: error.message,
        request_id: requestId(request.event),
      });
      response.headers = { ...response.headers, "x-request-id": requestId(request.event) };
      request.response = response;
    },
  };
}

/**
 * Any key that is not an app's is a 401, on every path but the public ones (`GET /health`).
 * Keys are looked up by hash and cached for 4 s, within the 5 s of staleness SPEC §2 allows.
 */
export function authenticate(
  apps: AppStore,
  options: { publicPaths?: string[]; cacheMs?: number } = {},
): ApiMiddleware {
  const cacheMs = options.cacheMs ?? CONFIGURATION_CACHE_MS;
  const publicPaths = new Set(options.publicPaths);
  const cache = new Map<string, { appId: string; until: number }>();
  return {
    before: async (request) => {
      if (publicPaths.has(request.event.rawPath)) return;
      const key = request.event.headers["x-api-key"];
      if (!key || !API_KEY_PATTERN.test(key)) throw new Unauthorized();
      const hash = hashApiKey(key);
      const cached = cache.get(hash);
      if (cached && cached.until > Date.now()) {
        request.context.appId = cached.appId;
        return;
      }
      const app = await apps.findAppByKeyHash(hash);
      if (!app) throw new Unauthorized();
      cache.set(hash, { appId: app.id, until: Date.now() + cacheMs });
      request.context.appId = app.id;
    },
  };
}

/**
 * Size (413), then media type (415), then JSON (400), in the order SPEC §2 gives; a body that
 * is there must be a JSON object. A request without content has no body (`undefined`), which
 * a route may allow (a trigger's payload is optional) — unless it is a POST, PUT or PATCH
 * whose content-type says JSON: zero bytes are not a JSON text, so that is a 400, as `null`,
 * `[]` or `3` are. A GET or DELETE carries no body, so a client that puts a JSON content-type
 * on every request is not refused for it.
 */
export function jsonBody(): ApiMiddleware {
  return {
    before: async (request) => {
      const { body, isBase64Encoded, headers } = request.event;
      request.context.body = undefined;
      const contentType = headers["content-type"];
      if (body === undefined || body === "") {
        const method = request.event.requestContext.http.method.toUpperCase();
        if (METHODS_WITH_BODY.has(method) && isJsonMediaType(contentType)) {
          throw new BadRequest(
            "body is empty, which is not JSON: send a JSON object, or no content-type and no body",
          );
        }
        return;
      }
      const raw = isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
      if (raw.byteLength > LIMITS.bodyBytes) throw new PayloadTooLarge(LIMITS.bodyBytes);
      if (!isJsonMediaType(contentType)) throw new UnsupportedMediaType(contentType);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString("utf8"));
      } catch (error) {
        throw new BadRequest(`body is not valid JSON: ${(error as Error).message}`);
      }
      if (!isJsonObject(parsed)) {
        throw new BadRequest(`body must be a JSON object, not ${withArticle(jsonType(parsed))}`);
      }
      request.context.body = parsed;
    },
  };
}

function withArticle(type: JsonType): string {
  if (type === "null") return "null";
  return type === "array" || type === "object" ? `an ${type}` : `a ${type}`;
}

/** `application/json`, parameters such as `charset` allowed. */
function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}
