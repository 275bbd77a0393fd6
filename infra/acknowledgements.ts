import { Validations } from "aws-cdk-lib";
import type { Api } from "./constructs/api.ts";
import type { Functions } from "./constructs/functions.ts";
import type { Messaging } from "./constructs/messaging.ts";

/**
 * The cdk-nag AwsSolutions findings Switchyard accepts, each with its reason. Anything not
 * listed here fails `cdk synth`.
 */
export function acknowledgeFindings(parts: {
  functions: Functions;
  api: Api;
  messaging: Messaging;
}) {
  const { functions, api, messaging } = parts;
  for (const fn of [
    functions.trigger,
    functions.api,
    functions.fanOut,
    functions.runner,
    functions.deliverer,
    functions.deadLetters,
  ]) {
    Validations.of(fn).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      reason:
        "AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; it is AWS's minimal logging policy.",
    });
    Validations.of(fn).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
      reason:
        "Only X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords, added by active tracing: X-Ray has no resource-level permissions. Every other grant names its resource.",
    });
  }
  Validations.of(api.httpApi).acknowledge({
    id: "AwsSolutions::AwsSolutions-APIG4",
    reason:
      "Every route but GET /health checks x-api-key in the function, because an HTTP API authorizer cannot answer with SPEC's error body.",
  });
  Validations.of(messaging.busDeadLetterQueue).acknowledge({
    id: "AwsSolutions::AwsSolutions-SQS3",
    reason:
      "This queue is itself the dead-letter queue of the bus rule's target; cdk-nag only recognises queues named in a RedrivePolicy as DLQs.",
  });
}
