import type { RoutedEvent, Workflow } from "../model.ts";
import type { DeliveryStore, EventPublisher, EventStore, WorkflowStore } from "../ports.ts";
import { workflowDelivery, workflowRuns } from "../workflow-runs.ts";
import { type FanOutOutcome, type QueueingDeps, queueRouted } from "./fan-out.ts";
import { workflowNotice } from "./workflow-notice.ts";

/** Reads every workflow of an app, as the runner routes by them. */
export type WorkflowListLookup = (appId: string) => Promise<Workflow[]>;

/** Reads one workflow as it is now (or null when it is gone), as the deliverer sends by it. */
export type WorkflowLookup = (appId: string, id: string) => Promise<Workflow | null>;

export interface RunnerDeps extends QueueingDeps {
  store: WorkflowStore & EventStore & DeliveryStore;
  /** Where a run that could not be rendered is reported (`workflow.errored`). */
  bus: EventPublisher;
  /** The deployment's name in platform events (Cobalt's `environment`). */
  environment: string;
  /** How an app's workflows are read; straight from the store when absent. */
  workflows?: WorkflowListLookup;
}

/**
 * Runs the workflows of a batch of app events (SPEC §2.4): for each event, every enabled
 * workflow on its type that its scoping and filter let through gets one delivery of its
 * rendered action, written and queued as the fan-out writes a subscription's (`queueRouted`),
 * so a rerun of the event by the bus makes no second run. A run whose templates read a path
 * the event lacks ends ERRORED at once: its delivery is written `discarded` with the error,
 * nothing is sent, and `workflow.errored` is published first — with an id derived from the
 * delivery, so a rerun publishes the same event and no subscriber gets it twice.
 */
export function runWorkflowsAll(deps: RunnerDeps, events: RoutedEvent[]): Promise<FanOutOutcome[]> {
  const lookup = deps.workflows ?? ((app) => deps.store.allWorkflows(app));
  return queueRouted(deps, events, async (event, payload, now) => {
    if (event.platform) return [];
    const runs = (await lookup(event.app_id))
      .filter((workflow) => workflowRuns(workflow, event, payload))
      .map((workflow) => workflowDelivery(workflow, event, payload, now, event.replay));
    const notices = runs.flatMap((run) =>
      run.status === "pending" ? [] : (workflowNotice(run, deps.clock, deps.environment) ?? []),
    );
    if (notices.length > 0) await deps.bus.publish(notices);
    return runs;
  });
}
