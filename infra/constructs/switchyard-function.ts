import { type Duration, RemovalPolicy } from "aws-cdk-lib";
import { Architecture, LoggingFormat, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { BUNDLING, NODE_OPTIONS } from "../bundling.ts";

export interface SwitchyardFunctionProps {
  /** The folder under `functions/` whose `handler.ts` exports `handler`. */
  name: "trigger" | "api" | "fanout" | "deliverer" | "dead-letters";
  description: string;
  environment: Record<string, string>;
  timeout: Duration;
  /** @default 256 */
  memorySize?: number;
  /** Concurrency kept for this function alone; by default it shares the account's pool. */
  reservedConcurrentExecutions?: number;
}

/**
 * Every Switchyard function: Node 24 on arm64, a CommonJS bundle made by the local esbuild
 * (minified, with source maps; see `BUNDLING`), JSON logs kept for a month, X-Ray active tracing.
 */
export class SwitchyardFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: SwitchyardFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: new URL(`../../functions/${props.name}/handler.ts`, import.meta.url).pathname,
      handler: "handler",
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS },
      bundling: {
        ...BUNDLING,
        mainFields: [...BUNDLING.mainFields],
        format: { cjs: OutputFormat.CJS, esm: OutputFormat.ESM }[BUNDLING.format],
        forceDockerBundling: false,
      },
    });
  }
}
