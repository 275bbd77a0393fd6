import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { MiddlewareObj } from "@middy/core";
import { METRICS } from "./core/metric-names.ts";

/** A function's logger and metrics: one of each per function, made once per container. */
export interface Telemetry {
  logger: Logger;
  metrics: Metrics;
}

export type MetricName = Exclude<
  (typeof METRICS)[keyof typeof METRICS],
  "Switchyard" | "switchyard"
>;

/**
 * Structured JSON logs under the function's service name, and metrics in CloudWatch's
 * embedded metric format under one namespace and `service` dimension for every function.
 */
export function telemetryFor(name: string): Telemetry {
  return {
    logger: new Logger({ serviceName: `switchyard-${name}` }),
    metrics: new Metrics({ namespace: METRICS.namespace, serviceName: METRICS.service }),
  };
}

/** Counts one occurrence of `name`. */
export function count(telemetry: Telemetry, name: MetricName, value = 1) {
  telemetry.metrics.addMetric(name, MetricUnit.Count, value);
}

/** Records a duration in milliseconds. */
export function milliseconds(telemetry: Telemetry, name: MetricName, value: number) {
  telemetry.metrics.addMetric(name, MetricUnit.Milliseconds, value);
}

/**
 * The middlewares every handler wears: the Lambda context (request id, cold start) on every
 * log line, keys added during an invocation cleared after it, and the invocation's metrics
 * flushed at its end — only when there are any, so an invocation that counted nothing prints
 * no warning.
 */
export function observed(telemetry: Telemetry): MiddlewareObj[] {
  const flush = async () => {
    if (telemetry.metrics.hasStoredMetrics()) telemetry.metrics.publishStoredMetrics();
  };
  return [
    injectLambdaContext(telemetry.logger, { resetKeys: true }),
    { after: flush, onError: flush },
  ];
}

/** Puts API Gateway's request id (the `request_id` of every answer) on every log line. */
export function requestIdOnLogs(
  logger: Logger,
): MiddlewareObj<{ requestContext?: { requestId?: string } }> {
  return {
    before: async (request) => {
      const requestId = request.event.requestContext?.requestId;
      if (requestId) logger.appendKeys({ request_id: requestId });
    },
  };
}
