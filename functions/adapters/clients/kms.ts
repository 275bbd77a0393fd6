import { KMSClient } from "@aws-sdk/client-kms";
import type { AwsSettings } from "../../config.ts";
import { clientOptions } from "./options.ts";

/** The KMS client. */
export function createKmsClient(settings: AwsSettings): KMSClient {
  return new KMSClient(clientOptions(settings, "kms"));
}
