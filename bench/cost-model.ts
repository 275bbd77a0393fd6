/**
 * What a million events cost at AWS list prices, from per-event counts measured on the local
 * runtime. The prices are those the README's "What it costs" section lists (us-east-1,
 * on-demand, arm64); the only other assumptions are each function's memory and billed
 * duration, the X-Ray sampling rate and the log bytes per event, all from the same section.
 */

/** List prices in dollars per unit. */
export const PRICES = {
  apiRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  eventBridgeEvent: 1.0 / 1e6,
  sqsRequest: 0.4 / 1e6,
  xrayTrace: 5.0 / 1e6,
  logsGb: 0.5,
} as const;

/** A function's memory and billed time per invocation: assumed, not measured here. */
export interface LambdaSize {
  memoryMb: number;
  milliseconds: number;
}

/**
 * The README's durations: trigger and fan-out 256 MB × 50 ms, deliverer 512 MB × 200 ms. The
 * API and dead-letter functions (not in its table) are taken as the trigger; every invocation
 * is taken at this duration whatever its batch size.
 */
export const LAMBDA_SIZES: Record<string, LambdaSize> = {
  trigger: { memoryMb: 256, milliseconds: 50 },
  fanout: { memoryMb: 256, milliseconds: 50 },
  deliverer: { memoryMb: 512, milliseconds: 200 },
};
const OTHER_FUNCTION: LambdaSize = { memoryMb: 256, milliseconds: 50 };

/** X-Ray's default rule records about 5 % of requests; each traced invocation may be one. */
export const XRAY_SAMPLED = 0.05;
/** The delivery outcome line and its embedded metrics, per event. */
export const LOG_BYTES_PER_EVENT = 2_000;

/** The measured counts of one event, on average. */
export interface PerEvent {
  apiRequests: number;
  /** Invocations by function name. */
  invocations: Record<string, number>;
  writeUnits: number;
  readUnits: number;
  eventBridgeEvents: number;
  sqsRequests: number;
}

export interface CostLine {
  item: string;
  dollars: number;
}

/** The bill of a million such events, line by line (the last line is the total). */
export function costPerMillion(perEvent: PerEvent): CostLine[] {
  const million = 1e6;
  const invocations = Object.values(perEvent.invocations).reduce((sum, count) => sum + count, 0);
  const gbSeconds = Object.entries(perEvent.invocations).reduce((sum, [name, count]) => {
    const size = LAMBDA_SIZES[name] ?? OTHER_FUNCTION;
    return sum + count * (size.memoryMb / 1024) * (size.milliseconds / 1000);
  }, 0);
  const lines: CostLine[] = [
    { item: "API Gateway", dollars: perEvent.apiRequests * million * PRICES.apiRequest },
    { item: "Lambda requests", dollars: invocations * million * PRICES.lambdaRequest },
    { item: "Lambda duration", dollars: gbSeconds * million * PRICES.lambdaGbSecond },
    { item: "DynamoDB writes", dollars: perEvent.writeUnits * million * PRICES.dynamoWriteUnit },
    { item: "DynamoDB reads", dollars: perEvent.readUnits * million * PRICES.dynamoReadUnit },
    {
      item: "EventBridge",
      dollars: perEvent.eventBridgeEvents * million * PRICES.eventBridgeEvent,
    },
    { item: "SQS", dollars: perEvent.sqsRequests * million * PRICES.sqsRequest },
    { item: "X-Ray", dollars: invocations * XRAY_SAMPLED * million * PRICES.xrayTrace },
    { item: "Logs", dollars: ((LOG_BYTES_PER_EVENT * million) / 1e9) * PRICES.logsGb },
  ];
  lines.push({ item: "total", dollars: lines.reduce((sum, line) => sum + line.dollars, 0) });
  return lines;
}
