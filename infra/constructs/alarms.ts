import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Alias } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import type { Queue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface AlarmsProps {
  deadLetterQueue: Queue;
  busDeadLetterQueue: Queue;
}

/** Anything in a dead-letter queue needs a person: each alarms on the first message. */
export class Alarms extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, "AlarmTopic", {
      displayName: "Switchyard alarms",
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, "SnsKey", "alias/aws/sns"),
    });
    const watch = (name: string, queue: Queue, description: string) => {
      const alarm = new Alarm(this, name, {
        alarmDescription: description,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
    };
    watch(
      "DeadLetterAlarm",
      props.deadLetterQueue,
      "Deliveries were dead-lettered after their last retry: see GET /api/v2/dlq",
    );
    watch(
      "BusDeadLetterAlarm",
      props.busDeadLetterQueue,
      "The bus could not hand events to the fan-out for a day: they wait in the bus DLQ",
    );
  }
}
