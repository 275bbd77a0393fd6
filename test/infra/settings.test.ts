import { App } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import cdkJson from "../../cdk.json" with { type: "json" };
import { deliveryQueueSettings } from "../../functions/core/delivery-settings.ts";
import { DEFAULT_STACK_SETTINGS, settingsFromContext } from "../../infra/settings.ts";
import { synthesize } from "./synth.ts";

describe("settings from context", () => {
  let template: Template;
  beforeAll(() => {
    // As `cdk synth -c retries=5 -c deliveryTimeoutSeconds=20 …` passes them: strings.
    ({ template } = synthesize({
      retries: "5",
      retryBaseSeconds: "2",
      retentionDays: "90",
      disableAfterHours: "48",
      deliveryTimeoutSeconds: "20",
      allowPrivateUrls: "true",
      requireHttps: "false",
      apiRateLimit: "50",
      apiBurstLimit: "100",
      fanOutConcurrency: "3",
      deliveryConcurrency: "7",
      slowDeliveryConcurrency: "4",
      triggerReservedConcurrency: "25",
      deliveryDeadLetterAlarm: "12",
      alarmEmail: "ops@example.com",
    }));
  }, 120_000);

  it("passes every setting to the functions' environment", () => {
    const functions = Object.values(template.findResources("AWS::Lambda::Function")) as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    }[];
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        SWITCHYARD_MAX_RETRIES: "5",
        SWITCHYARD_RETRY_BASE_SECONDS: "2",
        SWITCHYARD_RETENTION_DAYS: "90",
        SWITCHYARD_DISABLE_AFTER_HOURS: "48",
        SWITCHYARD_DELIVERY_TIMEOUT_SECONDS: "20",
        SWITCHYARD_ALLOW_PRIVATE_URLS: "true",
        SWITCHYARD_REQUIRE_HTTPS: "false",
      });
    }
  });

  it("sizes the delivery queue and the deliverer from the delivery timeout and retries", () => {
    const expected = deliveryQueueSettings({
      maxRetries: 5,
      retryBaseSeconds: 2,
      deliveryTimeoutSeconds: 20,
    });
    template.hasResourceProperties("AWS::SQS::Queue", {
      VisibilityTimeout: expected.visibilityTimeoutSeconds,
      RedrivePolicy: {
        maxReceiveCount: expected.backstopMaxReceiveCount,
        deadLetterTargetArn: Match.anyValue(),
      },
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Timeout: expected.delivererTimeoutSeconds,
    });
  });

  it("caps each event source mapping at the deployment's concurrency", () => {
    const caps = Object.values(template.findResources("AWS::Lambda::EventSourceMapping")).map(
      (mapping) => (mapping as { Properties: { ScalingConfig: unknown } }).Properties.ScalingConfig,
    );
    // The fan-out's and the deliverer's; the dead-letter recorder keeps its own small cap.
    expect(caps).toEqual(
      expect.arrayContaining([{ MaximumConcurrency: 3 }, { MaximumConcurrency: 7 }]),
    );
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": ["DeliveryQueue", "Arn"] },
      ScalingConfig: { MaximumConcurrency: 7 },
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": ["SlowDeliveryQueue", "Arn"] },
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  it("reserves the trigger's concurrency when asked", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^POST /api/v2/public/event"),
      ReservedConcurrentExecutions: 25,
    });
  });

  it("pages the operator above the delivery dead-letter threshold, and mails the alarm address", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "Switchyard",
      MetricName: "DeliveryDeadLettered",
      Dimensions: [{ Name: "service", Value: "switchyard" }],
      Statistic: "Sum",
      Period: 300,
      Threshold: 12,
    });
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });

  it("throttles the API at the deployment's limits", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });
});

describe("settingsFromContext", () => {
  const read = (context: Record<string, unknown>) => settingsFromContext(new App({ context }).node);

  it("answers the defaults when nothing is set, and cdk.json repeats them", () => {
    expect(read({})).toEqual(DEFAULT_STACK_SETTINGS);
    const { stackName: _name, "cli-telemetry": _telemetry, ...fromCdkJson } = cdkJson.context;
    expect(read(fromCdkJson)).toEqual(DEFAULT_STACK_SETTINGS);
  });

  it.each([
    [{ retries: "many" }, "context retries must be a number"],
    [{ retries: 1.5 }, "retries must be a whole number"],
    [{ retentionDays: 0 }, "retentionDays must be a number from 1 to 3650"],
    [{ disableAfterHours: -1 }, "disableAfterHours must be a number from 0 to 8760"],
    [{ deliveryTimeoutSeconds: 0 }, "deliveryTimeoutSeconds must be a number from 1"],
    [{ allowPrivateUrls: "yes" }, "allowPrivateUrls must be true or false"],
    [{ deliveryConcurrency: 1 }, "deliveryConcurrency must be a number from 2 to 1000"],
    [{ fanOutConcurrency: 2.5 }, "fanOutConcurrency must be a whole number"],
    [{ slowDeliveryConcurrency: 1 }, "slowDeliveryConcurrency must be a number from 2 to 1000"],
    [{ alarmEmail: "ops" }, "alarmEmail must be an email address"],
  ])("stops the synth on %j", (context, message) => {
    expect(() => read(context)).toThrow(message);
  });
});
