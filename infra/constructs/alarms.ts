import { Duration } from "aws-cdk-lib";
import type { IHttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS } from "../../functions/core/metric-names.ts";

export interface AlarmsProps {
  /** Dead-letter queues of the system itself: any message in one is a fault to act on. */
  systemDeadLetterQueues: Record<string, IQueue>;
  /** Queues with a consumer, and the age of their oldest message that means it is stuck. */
  workQueues: Record<string, { queue: IQueue; maxAgeSeconds: number }>;
  /** Queues whose backlog, past this many visible messages, harms others than its owner. */
  backlogQueues: Record<string, { queue: IQueue; maxMessages: number; why: string }>;
  functions: Record<string, IFunction>;
  httpApi: IHttpApi;
  /** Delivery dead letters per 5 minutes that page the operator; 0 never does. */
  deliveryDeadLetterThreshold: number;
  /** An address to mail; none when empty. */
  email: string;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The operator's alarms: faults of the system (a message in a system DLQ, function errors and
 * throttles, 5xx answers, a queue whose oldest message is too old), sent to an SNS topic that
 * CloudWatch can publish to. A customer's endpoint failing is the app's business: it pages the
 * operator only above the threshold the operator sets.
 */
export class Alarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    // A key of our own: the AWS-managed alias/aws/sns key's policy does not let CloudWatch
    // use it, so alarms published to a topic encrypted with it never arrive.
    const key = new Key(this, "AlarmTopicKey", {
      description: "Switchyard: encrypts the alarm topic; CloudWatch may use it",
      enableKeyRotation: true,
    });
    key.grant(
      new ServicePrincipal("cloudwatch.amazonaws.com"),
      "kms:Decrypt",
      "kms:GenerateDataKey*",
    );
    this.topic = new Topic(this, "AlarmTopic", {
      displayName: "Switchyard alarms",
      enforceSSL: true,
      masterKey: key,
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));

    const alarm = (alarmId: string, description: string, metric: IMetric, threshold: number) => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
    };

    for (const [name, queue] of Object.entries(props.systemDeadLetterQueues)) {
      alarm(
        `${name}Alarm`,
        `Events wait in the ${name} queue: fix the cause, then redrive them to their source queue`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        1,
      );
    }
    for (const [name, { queue, maxAgeSeconds }] of Object.entries(props.workQueues)) {
      alarm(
        `${name}AgeAlarm`,
        `The ${name} queue's oldest message is older than ${maxAgeSeconds} s: its consumer is stuck or failing`,
        queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: "Maximum" }),
        maxAgeSeconds,
      );
    }
    for (const [name, { queue, maxMessages, why }] of Object.entries(props.backlogQueues)) {
      alarm(
        `${name}BacklogAlarm`,
        `The ${name} queue holds ${maxMessages} or more messages: ${why}`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: FIVE_MINUTES,
          statistic: "Maximum",
        }),
        maxMessages,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(
        `${name}ErrorsAlarm`,
        `The ${name} function failed (an error or a timeout, not a receiver's answer)`,
        fn.metricErrors({ period: FIVE_MINUTES, statistic: "Sum" }),
        1,
      );
      alarm(
        `${name}ThrottlesAlarm`,
        `The ${name} function was throttled: the account's concurrency is exhausted`,
        fn.metricThrottles({ period: FIVE_MINUTES, statistic: "Sum" }),
        1,
      );
    }
    alarm(
      "ApiServerErrorsAlarm",
      "The API answered 5xx: see the functions' logs by request id",
      props.httpApi.metricServerError({ period: FIVE_MINUTES, statistic: "Sum" }),
      1,
    );
    // A batch answers 200 even when some of its items failed on a fault: the API's 5xx cannot
    // show those, so their own count pages as a 5xx would.
    alarm(
      "BatchItemErrorsAlarm",
      "Items of a batch trigger answered 5xx: see the trigger's ERROR lines",
      new Metric({
        namespace: METRICS.namespace,
        metricName: METRICS.batchItemsFailed,
        dimensionsMap: { service: METRICS.service },
        period: FIVE_MINUTES,
        statistic: "Sum",
      }),
      1,
    );
    if (props.deliveryDeadLetterThreshold > 0) {
      alarm(
        "DeliveryDeadLettersAlarm",
        `At least ${props.deliveryDeadLetterThreshold} deliveries were dead-lettered in 5 minutes (GET /api/v2/dlq)`,
        new Metric({
          namespace: METRICS.namespace,
          metricName: METRICS.deliveryDeadLettered,
          dimensionsMap: { service: METRICS.service },
          period: FIVE_MINUTES,
          statistic: "Sum",
        }),
        props.deliveryDeadLetterThreshold,
      );
    }
  }
}
