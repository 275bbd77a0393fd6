import { DEFAULT_ENVIRONMENT } from "../../config.ts";
import type { Clock } from "../clock.ts";
import { derivedId, timeOf } from "../ids.ts";
import type { DeliverySummary, RoutedEvent } from "../model.ts";
import { runError, runStatus } from "../workflow-runs.ts";
import { platformEvent } from "./platform-notice.ts";

/**
 * The platform event that reports how a workflow's run ended (SPEC §4): `workflow.completed`
 * or `workflow.errored`, with Cobalt's names for the same facts. Its id is derived from the
 * delivery and its attempt count, so a step retried after a fault emits the same event and the
 * fan-out makes no second delivery of it. Null for a delivery that is not a workflow's.
 */
export function workflowNotice(
  delivery: DeliverySummary,
  clock: Clock,
  environment = DEFAULT_ENVIRONMENT,
): RoutedEvent | null {
  const { run } = delivery;
  if (!run || delivery.target.type !== "workflow") return null;
  const status = runStatus(delivery);
  if (status === "RUNNING") return null;
  const completed = status === "COMPLETED";
  const type = completed ? "workflow.completed" : "workflow.errored";
  return platformEvent(
    delivery.app_id,
    type,
    {
      workflow_id: delivery.target.id,
      workflow_name: run.workflow_name,
      run_id: run.id,
      event_id: delivery.event_id,
      linked_account_id: delivery.linked_account_id,
      status,
      error: runError(delivery),
      instance_id: run.id,
      event: completed ? "Workflow Completed" : "Workflow Errored",
      environment,
    },
    clock,
    {
      linkedAccountId: delivery.linked_account_id,
      // Timed as the event, so a rerun of the runner, which writes the delivery anew, names
      // the same notice.
      eventId: derivedId(
        "event",
        timeOf(delivery.id),
        `${delivery.id}:${type}:${delivery.attempt_count}`,
      ),
    },
  );
}
