import { SQSClient } from "@aws-sdk/client-sqs";
import type { AwsSettings } from "../../config.ts";
import { clientOptions } from "./options.ts";

/** The SQS client. */
export function createSqsClient(settings: AwsSettings): SQSClient {
  return new SQSClient(clientOptions(settings, "sqs"));
}
