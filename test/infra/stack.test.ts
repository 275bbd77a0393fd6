import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { TABLE } from "../../functions/adapters/store/table-definition.ts";
import { API_ROUTES } from "../../functions/api/routes.ts";
import { BUS_RULES } from "../../functions/core/bus-rules.ts";
import { deliveryQueueSettings } from "../../functions/core/delivery-settings.ts";
import { TRIGGER_ROUTES } from "../../functions/trigger/routes.ts";
import { synthesize, type ValidationReport } from "./synth.ts";

let template: Template;
let report: ValidationReport;
const queueSettings = deliveryQueueSettings({
  maxRetries: 3,
  retryBaseSeconds: 30,
  deliveryTimeoutSeconds: 10,
});

beforeAll(() => {
  ({ template, report } = synthesize());
}, 120_000);

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (type: string) =>
  Object.entries(template.findResources(type) as Record<string, Resource>);

describe("cdk-nag", () => {
  it("finds nothing unacknowledged, and every acknowledgement gives its reason", () => {
    const [awsSolutions] = report.pluginReports;
    expect(awsSolutions?.pluginName).toBe("AwsSolutions");
    expect(awsSolutions?.conclusion).toBe("success");
    expect(awsSolutions?.violations).toEqual([]);
    for (const acknowledged of awsSolutions?.suppressedViolations ?? []) {
      expect(acknowledged.reason.length, acknowledged.ruleName).toBeGreaterThan(40);
    }
  });
});

describe("stateful resources", () => {
  it("pins the logical ids of the table, bus and queues", () => {
    const resources = template.toJSON().Resources as Record<string, Resource>;
    expect(resources.Table?.Type).toBe("AWS::DynamoDB::GlobalTable");
    expect(resources.EventBus?.Type).toBe("AWS::Events::EventBus");
    expect(resources.DeliveryQueue?.Type).toBe("AWS::SQS::Queue");
    expect(resources.DeadLetterQueue?.Type).toBe("AWS::SQS::Queue");
    expect(resources.BusDeadLetterQueue?.Type).toBe("AWS::SQS::Queue");
  });

  it("keeps the table on delete, on demand, with point-in-time recovery and TTL", () => {
    template.hasResource("AWS::DynamoDB::GlobalTable", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: Match.objectLike({
        BillingMode: "PAY_PER_REQUEST",
        TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
          { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
        ],
        GlobalSecondaryIndexes: TABLE.indexes.map((index) =>
          Match.objectLike({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: "HASH" },
              { AttributeName: index.sortKey, KeyType: "RANGE" },
            ],
          }),
        ),
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });
});

describe("queues", () => {
  it("hides a delivery for six deliverer timeouts and backs the deliverer's own DLQ move with a redrive", () => {
    const delivery = template.toJSON().Resources.DeliveryQueue as Resource;
    expect(delivery.Properties.VisibilityTimeout).toBe(queueSettings.visibilityTimeoutSeconds);
    expect(queueSettings.visibilityTimeoutSeconds).toBe(6 * queueSettings.delivererTimeoutSeconds);
    expect(delivery.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] },
      maxReceiveCount: queueSettings.backstopMaxReceiveCount,
    });
    // Above the deliverer's own count (1 attempt + 3 retries), so the deliverer acts first.
    expect(queueSettings.backstopMaxReceiveCount).toBeGreaterThan(4);
  });

  it("refuses plain-HTTP access to every queue", () => {
    const queues = resourcesOf("AWS::SQS::Queue").map(([id]) => id);
    expect(queues.sort()).toEqual(["BusDeadLetterQueue", "DeadLetterQueue", "DeliveryQueue"]);
    const policies = resourcesOf("AWS::SQS::QueuePolicy").map(([, policy]) => policy.Properties);
    for (const queue of queues) {
      const guarded = policies.some(
        (policy) =>
          JSON.stringify(policy.Queues).includes(queue) &&
          JSON.stringify(policy.PolicyDocument).includes('"aws:SecureTransport":"false"'),
      );
      expect(guarded, queue).toBe(true);
    }
  });

  it("feeds the deliverer in batches of 10 that report partial failures", () => {
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      EventSourceArn: { "Fn::GetAtt": ["DeliveryQueue", "Arn"] },
    });
  });
});

describe("bus", () => {
  it("routes with the shared rule patterns, retrying each target and parking what fails", () => {
    for (const rule of BUS_RULES) {
      template.hasResourceProperties("AWS::Events::Rule", {
        EventBusName: { Ref: "EventBus" },
        EventPattern: rule.pattern,
        Targets: [
          Match.objectLike({
            RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
            DeadLetterConfig: { Arn: { "Fn::GetAtt": ["BusDeadLetterQueue", "Arn"] } },
          }),
        ],
      });
    }
  });
});

describe("functions", () => {
  const functions = () => resourcesOf("AWS::Lambda::Function").map(([, fn]) => fn.Properties);

  it("runs four functions on Node 24, arm64, with source maps and the deployment's settings", () => {
    expect(functions()).toHaveLength(4);
    for (const fn of functions()) {
      expect(fn).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        LoggingConfig: { LogFormat: "JSON" },
      });
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        NODE_OPTIONS: "--enable-source-maps",
        SWITCHYARD_TABLE_NAME: { Ref: "Table" },
        SWITCHYARD_BUS_NAME: { Ref: "EventBus" },
        SWITCHYARD_DELIVERY_QUEUE_URL: { Ref: "DeliveryQueue" },
        SWITCHYARD_DLQ_URL: { Ref: "DeadLetterQueue" },
        SWITCHYARD_MAX_RETRIES: "3",
        SWITCHYARD_RETRY_BASE_SECONDS: "30",
        SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "10",
        SWITCHYARD_ALLOW_PRIVATE_URLS: "false",
        SWITCHYARD_REQUIRE_HTTPS: "true",
      });
    }
  });

  it("gives the deliverer the timeout the queue's visibility was sized from", () => {
    const timeouts = functions().map((fn) => fn.Timeout);
    expect(timeouts).toContain(queueSettings.delivererTimeoutSeconds);
  });

  it("keeps every function's logs for a month", () => {
    const retentions = resourcesOf("AWS::Logs::LogGroup").map(
      ([, group]) => group.Properties.RetentionInDays,
    );
    expect(retentions.filter((days) => days === 30)).toHaveLength(4);
  });
});

describe("least privilege", () => {
  const statements = () =>
    resourcesOf("AWS::IAM::Policy").flatMap(
      ([, policy]) =>
        (
          policy.Properties.PolicyDocument as {
            Statement: { Action: unknown; Resource: unknown }[];
          }
        ).Statement,
    );

  it("grants no wildcard action, and nothing on every resource", () => {
    for (const statement of statements()) {
      const actions = [statement.Action].flat() as string[];
      expect(
        actions.some((action) => action === "*" || action.endsWith(":*")),
        JSON.stringify(actions),
      ).toBe(false);
      expect([statement.Resource].flat()).not.toContain("*");
    }
  });

  it("lets only the deliverer move messages to the dead-letter queue", () => {
    const senders = statements().filter(
      (statement) =>
        JSON.stringify(statement.Resource).includes('"DeadLetterQueue"') &&
        ([statement.Action].flat() as string[]).includes("sqs:SendMessage"),
    );
    expect(senders).toHaveLength(1);
  });
});

describe("HTTP API", () => {
  it("has a route for every route the functions answer, and $default", () => {
    const routeKeys = resourcesOf("AWS::ApiGatewayV2::Route").map(
      ([, route]) => route.Properties.RouteKey,
    );
    const expected = [...TRIGGER_ROUTES, ...API_ROUTES].map(
      (route) => `${route.method} ${route.path}`,
    );
    expect(routeKeys.sort()).toEqual([...expected, "$default"].sort());
  });

  it("logs access and throttles the $default stage", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "$default",
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp("requestId") }),
      DefaultRouteSettings: Match.objectLike({
        ThrottlingRateLimit: 10000,
        ThrottlingBurstLimit: 5000,
      }),
    });
  });
});

describe("alarms and outputs", () => {
  it("alarms on the first message in the delivery DLQ", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [
        { Name: "QueueName", Value: { "Fn::GetAtt": ["DeadLetterQueue", "QueueName"] } },
      ],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      AlarmActions: [Match.anyValue()],
    });
  });

  it("outputs the API URL, table, bus and queue URLs", () => {
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        "ApiUrl",
        "TableName",
        "EventBusName",
        "DeliveryQueueUrl",
        "DeadLetterQueueUrl",
      ]),
    );
  });
});
