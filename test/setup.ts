import "aws-sdk-client-mock-vitest/extend";

// Every SDK client gets a region and static credentials, so nothing ever probes the
// instance-metadata address for credentials.
process.env.AWS_REGION = "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";

// Handlers log errors as JSON and publish metrics; tests assert on answers, so keep their
// output quiet (the telemetry tests turn both on for the handlers they make).
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
