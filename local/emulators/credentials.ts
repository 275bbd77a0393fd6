/**
 * Every client of the local runtime gets a region and static credentials, so the AWS SDK
 * never looks further for credentials (its default chain would probe the instance-metadata
 * address). The emulators accept any.
 */
export const LOCAL_REGION = "us-east-1";
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
