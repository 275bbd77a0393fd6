import { Logger } from "@aws-lambda-powertools/logger";

/** Structured JSON logs, one logger per function (the service name tells them apart). */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: `switchyard-${serviceName}` });
}
