import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from "aws-lambda";

/** What the middlewares learn about a request before the route runs. */
export interface ApiContext extends Context {
  /** The app the x-api-key belongs to. */
  appId: string;
  /** The parsed JSON body; undefined when there was none. */
  body: unknown;
}

export type ApiEvent = APIGatewayProxyEventV2;
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** A JSON answer. */
export function json(statusCode: number, body: unknown): ApiResult {
  return {
    statusCode,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

export function noContent(): ApiResult {
  return { statusCode: 204 };
}
