/**
 * The emulators' own thread: it serves dynalite and fauxqs on loopback while the handlers,
 * the local bus and the API run on the main thread, so the runtime uses two cores. Answers
 * `{ ready }` with the endpoints, or `{ failed }`; stops on "stop" and answers "stopped".
 */
import { parentPort, workerData } from "node:worker_threads";
import { serveEmulators } from "./servers.ts";
import { relaxSqliteSync } from "./sqlite-durability.ts";

const port = parentPort;
if (!port) throw new Error("the emulator thread runs as a worker");
relaxSqliteSync();
try {
  const servers = await serveEmulators((workerData as { dataDir: string }).dataDir);
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
