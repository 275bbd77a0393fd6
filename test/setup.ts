import "aws-sdk-client-mock-vitest/extend";

// Every SDK client gets a region and static credentials, so nothing ever probes the
// instance-metadata address for credentials.
process.env.AWS_REGION = "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";

// Handlers log errors as JSON; tests assert on answers, so keep their output quiet.
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
