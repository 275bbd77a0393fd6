import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import type { ApiContext } from "../../functions/http/api-types.ts";

export interface ApiCall {
  method: string;
  path: string;
  apiKey?: string | undefined;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
}

/** The event API Gateway's HTTP API (payload 2.0) hands a Lambda for this call. */
export function apiEvent(call: ApiCall): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {
    ...(call.body !== undefined && { "content-type": "application/json" }),
    ...(call.apiKey !== undefined && { "x-api-key": call.apiKey }),
    ...call.headers,
  };
  const requestId = randomUUID();
  const query = call.query ? new URLSearchParams(call.query).toString() : "";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: call.path,
    rawQueryString: query,
    headers,
    ...(call.query && { queryStringParameters: call.query }),
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: {
        method: call.method,
        path: call.path,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: "test",
      },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(call.body !== undefined && {
      body: typeof call.body === "string" ? call.body : JSON.stringify(call.body),
    }),
    isBase64Encoded: false,
  };
}

export const lambdaContext = { awsRequestId: "test" } as unknown as Context & ApiContext;
