import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { TABLE } from "../../functions/adapters/store/table-definition.ts";
import { API_ROUTES } from "../../functions/api/routes.ts";
import { BUS_RULES } from "../../functions/core/bus-rules.ts";
import { deliveryQueueSettings } from "../../functions/core/delivery-settings.ts";
import { TRIGGER_ROUTES } from "../../functions/trigger/routes.ts";
import { synthesize, type ValidationReport } from "./synth.ts";
import { grantsOf, lambda, logicalIdOf, resource, resourcesOf } from "./template-queries.ts";

let template: Template;
let report: ValidationReport;
const queueSettings = deliveryQueueSettings({
  maxRetries: 3,
  retryBaseSeconds: 30,
  deliveryTimeoutSeconds: 10,
});
const FUNCTIONS = ["Trigger", "Api", "FanOut", "Runner", "Deliverer", "DeadLetters"];

beforeAll(() => {
  ({ template, report } = synthesize());
}, 120_000);

const arnOf = (logicalId: string) => ({ "Fn::GetAtt": [logicalId, "Arn"] });
const mappingsOf = (functionName: string) =>
  resourcesOf(template, "AWS::Lambda::EventSourceMapping")
    .map(([, mapping]) => mapping.Properties)
    .filter(
      (mapping) =>
        JSON.stringify(mapping.FunctionName) ===
        JSON.stringify({ Ref: lambda(template, functionName).id }),
    );

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
  it("pins the logical ids of the table, secrets key, bus and queues", () => {
    const types = Object.fromEntries(
      [
        "Table",
        "SecretsKey",
        "EventBus",
        "DeliveryQueue",
        "DeadLetterQueue",
        "BusDeadLetterQueue",
        "FanOutQueue",
        "FanOutDeadLetterQueue",
        "WorkflowsQueue",
        "WorkflowsDeadLetterQueue",
      ].map((id) => [id, resource(template, id).Type]),
    );
    expect(types).toEqual({
      Table: "AWS::DynamoDB::GlobalTable",
      SecretsKey: "AWS::KMS::Key",
      EventBus: "AWS::Events::EventBus",
      DeliveryQueue: "AWS::SQS::Queue",
      DeadLetterQueue: "AWS::SQS::Queue",
      BusDeadLetterQueue: "AWS::SQS::Queue",
      FanOutQueue: "AWS::SQS::Queue",
      FanOutDeadLetterQueue: "AWS::SQS::Queue",
      WorkflowsQueue: "AWS::SQS::Queue",
      WorkflowsDeadLetterQueue: "AWS::SQS::Queue",
    });
  });

  it("keeps the table on delete and protects it from deletion, on demand, with point-in-time recovery, TTL and narrow index projections", () => {
    expect(TABLE.indexes.filter((index) => index.projection === "KEYS_ONLY")).toHaveLength(3);
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
            Projection: { ProjectionType: index.projection },
          }),
        ),
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });

  it("seals signing secrets with a rotating KMS key that outlives the stack", () => {
    template.hasResource("AWS::KMS::Key", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    expect(resource(template, "SecretsKey").Properties.EnableKeyRotation).toBe(true);
  });
});

describe("queues", () => {
  it.each(["DeliveryQueue", "SlowDeliveryQueue"])(
    "hides a delivery in %s for six times the deliverer's timeout, with a redrive backstop above its own dead-lettering",
    (lane) => {
      const deliverer = lambda(template, "Deliverer").properties;
      expect(deliverer.Timeout).toBe(queueSettings.delivererTimeoutSeconds);
      const delivery = resource(template, lane).Properties;
      expect(delivery.VisibilityTimeout).toBe(6 * (deliverer.Timeout as number));
      expect(delivery.RedrivePolicy).toEqual({
        deadLetterTargetArn: arnOf("DeadLetterQueue"),
        maxReceiveCount: queueSettings.backstopMaxReceiveCount,
      });
      // Above the deliverer's own count (1 attempt + 3 retries), so the deliverer acts first.
      expect(queueSettings.backstopMaxReceiveCount).toBeGreaterThan(4);
    },
  );

  it.each([
    ["FanOut", "FanOut"],
    ["Runner", "Workflows"],
  ])("hides a %s event for six times its timeout, and parks it after five receives", (fn, rule) => {
    const consumer = lambda(template, fn).properties;
    const queue = resource(template, `${rule}Queue`).Properties;
    expect(queue.VisibilityTimeout).toBe(6 * (consumer.Timeout as number));
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: arnOf(`${rule}DeadLetterQueue`),
      maxReceiveCount: 5,
    });
  });

  it("gives every queue a dead-letter queue, or makes it one", () => {
    const queues = resourcesOf(template, "AWS::SQS::Queue");
    const deadLetterTargets = new Set(
      queues.flatMap(([, queue]) => {
        const redrive = queue.Properties.RedrivePolicy as { deadLetterTargetArn: unknown };
        return redrive ? [JSON.stringify(redrive.deadLetterTargetArn)] : [];
      }),
    );
    const ruleDeadLetters = JSON.stringify(resourcesOf(template, "AWS::Events::Rule"));
    for (const [id, queue] of queues) {
      const hasDeadLetterQueue = queue.Properties.RedrivePolicy !== undefined;
      const isDeadLetterQueue =
        deadLetterTargets.has(JSON.stringify(arnOf(id))) ||
        ruleDeadLetters.includes(JSON.stringify({ Arn: arnOf(id) }));
      expect(hasDeadLetterQueue || isDeadLetterQueue, id).toBe(true);
    }
  });

  it("refuses plain-HTTP access to every queue", () => {
    const queues = resourcesOf(template, "AWS::SQS::Queue").map(([id]) => id);
    expect(queues.sort()).toEqual(
      [
        "BusDeadLetterQueue",
        "DeadLetterQueue",
        "DeliveryQueue",
        "SlowDeliveryQueue",
        "OrderedDeliveryQueue",
        "OrderedDeadLetterQueue",
        "FanOutDeadLetterQueue",
        "FanOutQueue",
        "WorkflowsDeadLetterQueue",
        "WorkflowsQueue",
      ].sort(),
    );
    const policies = resourcesOf(template, "AWS::SQS::QueuePolicy").map(
      ([, policy]) => policy.Properties,
    );
    for (const queue of queues) {
      const guarded = policies.some(
        (policy) =>
          JSON.stringify(policy.Queues).includes(queue) &&
          JSON.stringify(policy.PolicyDocument).includes('"aws:SecureTransport":"false"'),
      );
      expect(guarded, queue).toBe(true);
    }
  });
});

describe("event source mappings", () => {
  it("feeds the fan-out from its queue in batches of 10, reporting partial failures, at most 10 at once", () => {
    expect(mappingsOf("FanOut")).toEqual([
      expect.objectContaining({
        EventSourceArn: arnOf("FanOutQueue"),
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 10 },
      }),
    ]);
  });

  it("feeds the workflow runner from its own queue as the fan-out is fed", () => {
    expect(mappingsOf("Runner")).toEqual([
      expect.objectContaining({
        EventSourceArn: arnOf("WorkflowsQueue"),
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 10 },
      }),
    ]);
  });

  it("feeds the deliverer from its three lanes, reporting partial failures: batches of 10, at most 50 and 10 at once, and the ordered lane one at a time, at most 20", () => {
    expect(mappingsOf("Deliverer")).toEqual([
      expect.objectContaining({
        EventSourceArn: arnOf("DeliveryQueue"),
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 50 },
      }),
      expect.objectContaining({
        EventSourceArn: arnOf("SlowDeliveryQueue"),
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 10 },
      }),
      expect.objectContaining({
        EventSourceArn: arnOf("OrderedDeliveryQueue"),
        BatchSize: 1,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 20 },
      }),
    ]);
  });

  it("makes the ordered lane a high-throughput FIFO queue whose backstop parks in a FIFO DLQ", () => {
    const ordered = resource(template, "OrderedDeliveryQueue").Properties;
    const standard = resource(template, "DeliveryQueue").Properties.RedrivePolicy as {
      maxReceiveCount: number;
    };
    expect(ordered).toMatchObject({
      FifoQueue: true,
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
      RedrivePolicy: {
        deadLetterTargetArn: arnOf("OrderedDeadLetterQueue"),
        maxReceiveCount: standard.maxReceiveCount,
      },
    });
    expect(ordered.ContentBasedDeduplication).toBeUndefined();
    expect(resource(template, "OrderedDeadLetterQueue").Properties).toMatchObject({
      FifoQueue: true,
    });
  });

  it("feeds the delivery DLQ to the dead-letter recorder, which hides a message six times its timeout", () => {
    expect(mappingsOf("DeadLetters")).toEqual([
      expect.objectContaining({
        EventSourceArn: arnOf("DeadLetterQueue"),
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 2 },
      }),
      expect.objectContaining({
        EventSourceArn: arnOf("OrderedDeadLetterQueue"),
        BatchSize: 10,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 2 },
      }),
    ]);
    const recorder = lambda(template, "DeadLetters").properties;
    for (const dlq of ["DeadLetterQueue", "OrderedDeadLetterQueue"]) {
      expect(resource(template, dlq).Properties.VisibilityTimeout).toBe(
        6 * (recorder.Timeout as number),
      );
    }
  });

  it("caps every mapping's concurrency and reports partial failures on every one", () => {
    const mappings = resourcesOf(template, "AWS::Lambda::EventSourceMapping");
    expect(mappings).toHaveLength(7);
    for (const [id, mapping] of mappings) {
      expect(mapping.Properties.FunctionResponseTypes, id).toEqual(["ReportBatchItemFailures"]);
      expect(mapping.Properties.ScalingConfig, id).toEqual({
        MaximumConcurrency: expect.any(Number),
      });
    }
  });
});

describe("bus", () => {
  it("sends each rule's events to its queue, retrying the hand-off and parking what fails", () => {
    for (const rule of BUS_RULES) {
      template.hasResourceProperties("AWS::Events::Rule", {
        EventBusName: { Ref: "EventBus" },
        EventPattern: rule.pattern,
        Targets: [
          Match.objectLike({
            Arn: arnOf(`${rule.id}Queue`),
            RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
            DeadLetterConfig: { Arn: arnOf("BusDeadLetterQueue") },
          }),
        ],
      });
    }
  });

  it("leaves replays to one subscription out of the workflow runner's rule", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["switchyard.app"],
        detail: { replay_to: [{ exists: false }] },
      },
      Targets: [Match.objectLike({ Arn: arnOf("WorkflowsQueue") })],
    });
  });

  it("targets no function directly: EventBridge would invoke it asynchronously and drop what fails", () => {
    const targets = resourcesOf(template, "AWS::Events::Rule").flatMap(
      ([, rule]) => rule.Properties.Targets as { Arn: unknown }[],
    );
    const queueArns = resourcesOf(template, "AWS::SQS::Queue").map(([id]) =>
      JSON.stringify(arnOf(id)),
    );
    expect(targets.length).toBe(BUS_RULES.length);
    for (const target of targets) expect(queueArns).toContain(JSON.stringify(target.Arn));
    const invokedByEvents = resourcesOf(template, "AWS::Lambda::Permission").filter(
      ([, permission]) => permission.Properties.Principal === "events.amazonaws.com",
    );
    expect(invokedByEvents).toEqual([]);
  });
});

describe("functions", () => {
  it("runs six functions on Node 24, arm64, traced, with source maps and the deployment's settings", () => {
    for (const name of FUNCTIONS) {
      const fn = lambda(template, name).properties;
      expect(fn, name).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        LoggingConfig: { LogFormat: "JSON" },
        TracingConfig: { Mode: "Active" },
      });
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        NODE_OPTIONS: "--enable-source-maps",
        SWITCHYARD_TABLE_NAME: { Ref: "Table" },
        SWITCHYARD_BUS_NAME: { Ref: "EventBus" },
        SWITCHYARD_DELIVERY_QUEUE_URL: { Ref: "DeliveryQueue" },
        SWITCHYARD_DLQ_URL: { Ref: "DeadLetterQueue" },
        SWITCHYARD_MAX_RETRIES: "3",
        SWITCHYARD_RETRY_BASE_SECONDS: "30",
        SWITCHYARD_RETENTION_DAYS: "30",
        SWITCHYARD_DISABLE_AFTER_HOURS: "120",
        SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "10",
        SWITCHYARD_ALLOW_PRIVATE_URLS: "false",
        SWITCHYARD_REQUIRE_HTTPS: "true",
        SWITCHYARD_SECRETS_KEY_ID: arnOf("SecretsKey"),
      });
    }
    expect(resourcesOf(template, "AWS::Lambda::Function")).toHaveLength(FUNCTIONS.length);
  });

  it("gives each function its own timeout", () => {
    const timeouts = Object.fromEntries(
      FUNCTIONS.map((name) => [name, lambda(template, name).properties.Timeout]),
    );
    expect(timeouts).toEqual({
      Trigger: 10,
      Api: 20,
      FanOut: 30,
      Runner: 30,
      Deliverer: queueSettings.delivererTimeoutSeconds,
      DeadLetters: 30,
    });
  });

  it("reserves no concurrency unless the deployment asks", () => {
    for (const name of FUNCTIONS) {
      expect(lambda(template, name).properties.ReservedConcurrentExecutions, name).toBeUndefined();
    }
  });

  it("keeps every function's logs for a month", () => {
    const retentions = resourcesOf(template, "AWS::Logs::LogGroup").map(
      ([, group]) => group.Properties.RetentionInDays,
    );
    expect(retentions.filter((days) => days === 30)).toHaveLength(FUNCTIONS.length);
  });
});

describe("least privilege", () => {
  const xray = ["xray:PutTelemetryRecords *", "xray:PutTraceSegments *"];
  const consume = (queue: string) =>
    ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"].map(
      (action) => `${action} ${queue}`,
    );
  const table = (actions: string[], resources = ["Table"]) =>
    actions.flatMap((action) => resources.map((name) => `dynamodb:${action} ${name}`));
  const expected: Record<string, string[]> = {
    Trigger: [
      ...table(["DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"]),
      "events:PutEvents EventBus",
      "sqs:SendMessage OrderedDeliveryQueue",
      ...xray,
    ],
    Api: [
      ...table(
        ["BatchGetItem", "DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"],
        [
          "Table",
          "Table/index/Deliveries",
          "Table/index/DeliveriesByStatus",
          "Table/index/DeliveriesByTarget",
          "Table/index/GSI1",
        ],
      ),
      "events:PutEvents EventBus",
      "kms:Decrypt SecretsKey",
      "kms:GenerateDataKey SecretsKey",
      "sqs:SendMessage DeliveryQueue",
      "sqs:SendMessage OrderedDeliveryQueue",
      ...xray,
    ],
    FanOut: [
      ...table(["GetItem", "PutItem", "Query"]),
      "sqs:SendMessage DeliveryQueue",
      "sqs:SendMessage OrderedDeliveryQueue",
      ...consume("FanOutQueue"),
      ...xray,
    ],
    Runner: [
      ...table(["GetItem", "PutItem", "Query"]),
      "events:PutEvents EventBus",
      "sqs:SendMessage DeliveryQueue",
      ...consume("WorkflowsQueue"),
      ...xray,
    ],
    Deliverer: [
      ...table(["BatchGetItem", "DeleteItem", "GetItem", "PutItem", "UpdateItem"]),
      "events:PutEvents EventBus",
      "kms:Decrypt SecretsKey",
      "sqs:SendMessage DeadLetterQueue",
      "sqs:SendMessage OrderedDeadLetterQueue",
      "sqs:SendMessage SlowDeliveryQueue",
      "sqs:ChangeMessageVisibility DeliveryQueue",
      "sqs:ChangeMessageVisibility SlowDeliveryQueue",
      "sqs:ChangeMessageVisibility OrderedDeliveryQueue",
      ...consume("DeliveryQueue"),
      ...consume("SlowDeliveryQueue"),
      ...consume("OrderedDeliveryQueue"),
      ...xray,
    ],
    DeadLetters: [
      ...table(["GetItem", "PutItem", "UpdateItem"]),
      "events:PutEvents EventBus",
      ...consume("DeadLetterQueue"),
      ...consume("OrderedDeadLetterQueue"),
      ...xray,
    ],
  };

  it.each(FUNCTIONS)(
    "grants %s exactly the actions its code calls, on its resources alone",
    (name) => {
      expect(grantsOf(template, name)).toEqual([...(expected[name] ?? [])].sort());
    },
  );

  it("lets no function scan, read streams, or use a wildcard action", () => {
    for (const name of FUNCTIONS) {
      for (const grant of grantsOf(template, name)) {
        const [action = ""] = grant.split(" ");
        expect(action, grant).not.toMatch(/\*|Scan|Stream|BatchWrite/);
      }
    }
  });
});

describe("HTTP API", () => {
  it("has a route for every route the functions answer, and $default", () => {
    const routeKeys = resourcesOf(template, "AWS::ApiGatewayV2::Route").map(
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

describe("alarms", () => {
  const alarms = () => resourcesOf(template, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
  const topicId = () => logicalIdOf(template, "AWS::SNS::Topic", "AlarmsAlarmTopic");

  it("publishes to a topic encrypted with a rotating key of its own that CloudWatch may use", () => {
    const keyId = logicalIdOf(template, "AWS::KMS::Key", "AlarmsAlarmTopicKey");
    expect(resource(template, topicId()).Properties.KmsMasterKeyId).toEqual(arnOf(keyId));
    const key = resource(template, keyId).Properties;
    expect(key.EnableKeyRotation).toBe(true);
    const statements = (key.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      }),
    );
  });

  it("alarms on the first message in the bus, fan-out and workflow dead-letter queues", () => {
    for (const queue of [
      "BusDeadLetterQueue",
      "FanOutDeadLetterQueue",
      "WorkflowsDeadLetterQueue",
    ]) {
      expect(alarms(), queue).toContainEqual(
        expect.objectContaining({
          Namespace: "AWS/SQS",
          MetricName: "ApproximateNumberOfMessagesVisible",
          Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queue, "QueueName"] } }],
          Threshold: 1,
          ComparisonOperator: "GreaterThanOrEqualToThreshold",
        }),
      );
    }
  });

  it("does not page the operator for a customer's endpoint unless asked", () => {
    const onDeliveryDeadLetters = alarms().filter(
      (alarm) =>
        (JSON.stringify(alarm.Dimensions ?? "").includes('"DeadLetterQueue"') &&
          alarm.MetricName !== "ApproximateAgeOfOldestMessage") ||
        alarm.MetricName === "DeliveryDeadLettered",
    );
    expect(onDeliveryDeadLetters).toEqual([]);
  });

  it("alarms on every function's errors and throttles", () => {
    for (const name of FUNCTIONS) {
      for (const metric of ["Errors", "Throttles"]) {
        expect(alarms(), `${name} ${metric}`).toContainEqual(
          expect.objectContaining({
            Namespace: "AWS/Lambda",
            MetricName: metric,
            Dimensions: [{ Name: "FunctionName", Value: { Ref: lambda(template, name).id } }],
            Threshold: 1,
          }),
        );
      }
    }
  });

  it("alarms when a queue's oldest message is older than its consumer should ever leave it", () => {
    const ageAlarm = (queue: string) =>
      alarms().find(
        (alarm) =>
          alarm.MetricName === "ApproximateAgeOfOldestMessage" &&
          JSON.stringify(alarm.Dimensions).includes(`"${queue}"`),
      );
    expect(ageAlarm("FanOutQueue")?.Threshold).toBe(300);
    expect(ageAlarm("WorkflowsQueue")?.Threshold).toBe(300);
    expect(ageAlarm("DeadLetterQueue")?.Threshold).toBe(300);
    expect(ageAlarm("DeliveryQueue")?.Threshold).toBe(queueSettings.oldestMessageAlarmSeconds);
    // 30 s + 2 min + 8 min of backoff at their longest, four attempts' timeouts, five minutes.
    expect(queueSettings.oldestMessageAlarmSeconds).toBe(Math.ceil(630 * 1.1 + 4 * 30 + 300));
    // The slow lane may also hold a delivery while its subscription is paused: four times
    // that backoff at its longest (SPEC §3), then the backoff again, the same timeouts and
    // five minutes.
    expect(ageAlarm("SlowDeliveryQueue")?.Threshold).toBe(
      queueSettings.slowLaneOldestMessageAlarmSeconds,
    );
    // The ordered lane's DLQ is drained as the other DLQ is; the lane itself ages with its
    // receivers' failures (a group waits behind its first), which page nobody.
    expect(ageAlarm("OrderedDeadLetterQueue")?.Threshold).toBe(300);
    expect(ageAlarm("OrderedDeliveryQueue")).toBeUndefined();
  });

  it("alarms on an ordered-lane backlog before it reaches the 120,000 messages a FIFO queue scans for groups", () => {
    const backlog = alarms().find(
      (alarm) =>
        alarm.MetricName === "ApproximateNumberOfMessagesVisible" &&
        JSON.stringify(alarm.Dimensions).includes('"OrderedDeliveryQueue"'),
    );
    expect(backlog).toMatchObject({ Threshold: 100_000, Statistic: "Maximum", Period: 300 });
    expect(queueSettings.slowLaneOldestMessageAlarmSeconds).toBe(
      5 * 693 + 4 * 30 + 300, // 693 s = 630 s of backoff at its longest (+10 %)
    );
  });

  it("alarms on the API's 5xx answers", () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({ Namespace: "AWS/ApiGateway", MetricName: "5xx", Threshold: 1 }),
    );
  });

  it("alarms on batch trigger items that answered 5xx, which the API's 5xx cannot show", () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({
        Namespace: "Switchyard",
        MetricName: "BatchItemsFailed",
        Dimensions: [{ Name: "service", Value: "switchyard" }],
        Statistic: "Sum",
        Threshold: 1,
      }),
    );
  });

  it("sends every alarm, and its end, to the topic", () => {
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId() }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId() }]);
    }
  });
});

describe("outputs", () => {
  it("outputs the API URL, table, bus, queue URLs and alarm topic", () => {
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining([
        "ApiUrl",
        "TableName",
        "EventBusName",
        "DeliveryQueueUrl",
        "SlowDeliveryQueueUrl",
        "DeadLetterQueueUrl",
        "BusDeadLetterQueueUrl",
        "FanOutDeadLetterQueueUrl",
        "WorkflowsDeadLetterQueueUrl",
        "AlarmTopicArn",
      ]),
    );
  });
});
