import { lazyBusFor } from "../adapters/deployment/lazy-bus.ts";
import { queueFor } from "../adapters/deployment/queue.ts";
import { storeFor } from "../adapters/deployment/store.ts";
import { busQueueConsumer } from "../bus-queue-consumer.ts";
import { config } from "../config.ts";
import { systemClock } from "../core/clock.ts";
import { cachedAppLists } from "../core/services/expiring-cache.ts";
import { type RunnerDeps, runWorkflowsAll } from "../core/services/workflow-runner.ts";
import { type Telemetry, telemetryFor } from "../telemetry.ts";

/**
 * The workflow runner (SPEC §2.4): the consumer of the workflow rule's queue, which carries
 * app events only. Each event runs its workflows (see `runWorkflowsAll`); a failed event comes
 * back from the queue (`busQueueConsumer`). An app's workflows are read at most every 4 s, none
 * too: every app event reaches the runner, so an app without workflows would otherwise cost a
 * read an event (a new workflow still applies within SPEC §2's 5 s).
 */
export function createRunnerHandler(
  deps: RunnerDeps,
  telemetry: Telemetry = telemetryFor("runner"),
) {
  const running: RunnerDeps = {
    ...deps,
    workflows:
      deps.workflows ??
      cachedAppLists((appId) => deps.store.allWorkflows(appId), deps.clock, { keepEmpty: true }),
  };
  return busQueueConsumer(telemetry, (events) => runWorkflowsAll(running, events));
}

const settings = config();
export const handler = createRunnerHandler({
  store: storeFor(settings),
  queue: queueFor(settings),
  bus: lazyBusFor(settings),
  clock: systemClock,
  environment: settings.environment,
});
