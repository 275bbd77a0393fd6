import { fileURLToPath } from "node:url";
import {
  AssetHashType,
  DockerImage,
  type Duration,
  type ILocalBundling,
  RemovalPolicy,
} from "aws-cdk-lib";
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { bundleFunction, NODE_OPTIONS } from "../bundling.ts";

export interface SwitchyardFunctionProps {
  /** The folder under `functions/` whose `handler.ts` exports `handler`. */
  name: "trigger" | "api" | "fanout" | "runner" | "deliverer" | "dead-letters";
  description: string;
  environment: Record<string, string>;
  timeout: Duration;
  /** @default 256 */
  memorySize?: number;
  /** Concurrency kept for this function alone; by default it shares the account's pool. */
  reservedConcurrentExecutions?: number;
}

/**
 * Every Switchyard function: Node 24 on arm64, ES modules bundled and split into chunks by the
 * local esbuild (minified, with source maps; see `bundleFunction`), JSON logs kept for a
 * month, X-Ray active tracing.
 */
export class SwitchyardFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: SwitchyardFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      code: Code.fromAsset(fileURLToPath(new URL("../../functions", import.meta.url)), {
        // The asset is what esbuild wrote: its hash changes when the bundle does.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          local: new EsbuildBundling(props.name),
          // Never pulled: the local esbuild always bundles (it is a dependency).
          image: DockerImage.fromRegistry("esbuild-bundles-locally"),
        },
      }),
      handler: "index.handler",
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
    });
  }
}

/**
 * Bundles one function with the local esbuild. Its field is part of CDK's key for reusing a
 * bundle within a synth, so each function gets its own.
 */
class EsbuildBundling implements ILocalBundling {
  constructor(readonly functionName: string) {}

  tryBundle(outputDir: string): boolean {
    bundleFunction(this.functionName, outputDir);
    return true;
  }
}
