/**
 * The emulators' own thread: it serves dynalite and fauxqs while the handlers, the local bus
 * and the API run on the main thread, so the runtime uses two cores. The runtime's calls
 * arrive on the port in `workerData.calls` (see thread-dispatch.ts); the emulators listen on
 * loopback too, for any other client. Answers `{ ready }` with the endpoints, or
 * `{ failed }`; stops on "stop" and answers "stopped".
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { serveEmulators } from "./servers.ts";
import { relaxSqliteSync } from "./sqlite-durability.ts";
import { answerCalls } from "./thread-dispatch.ts";

const port = parentPort;
if (!port) throw new Error("the emulator thread runs as a worker");
relaxSqliteSync();
const { dataDir, calls } = workerData as { dataDir: string; calls: MessagePort };
try {
  const servers = await serveEmulators(dataDir);
  answerCalls(calls, servers.dispatch);
  port.on("message", async (message) => {
    if (message !== "stop") return;
    await servers.stop();
    port.postMessage("stopped");
  });
  port.postMessage({
    ready: { dynamoEndpoint: servers.dynamoEndpoint, sqsEndpoint: servers.sqsEndpoint },
  });
} catch (error) {
  port.postMessage({ failed: error instanceof Error ? error.message : String(error) });
}
