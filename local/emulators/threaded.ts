import { once } from "node:events";
import { MessageChannel, Worker } from "node:worker_threads";
import type { EmulatorServers } from "./servers.ts";
import { callsOver } from "./thread-dispatch.ts";

/**
 * Starts the emulators in a worker thread of their own (see emulator-thread.ts). Should the
 * thread die while the runtime runs, `onError` hears of it: every call to the emulators fails
 * from then on, and /health says so.
 */
export async function serveEmulatorsInThread(
  dataDir: string,
  onError: (error: unknown) => void,
): Promise<EmulatorServers> {
  const channel = new MessageChannel();
  const worker = new Worker(new URL("./emulator-thread.ts", import.meta.url), {
    workerData: { dataDir, calls: channel.port2 },
    transferList: [channel.port2],
  });
  const dispatch = callsOver(channel.port1);
  // `once` rejects on an "error" event: a thread that fails to start fails this call.
  const [answer] = (await once(worker, "message").catch(async (error: unknown) => {
    channel.port1.close();
    await worker.terminate();
    throw error;
  })) as [{ ready?: { dynamoEndpoint: string; sqsEndpoint: string }; failed?: string }];
  if (!answer.ready) {
    channel.port1.close();
    await worker.terminate();
    throw new Error(answer.failed ?? "the emulator thread did not start");
  }
  let stopping = false;
  worker.on("error", (error) => onError(error));
  worker.on("exit", (code) => {
    const stopped = new Error(`the emulator thread stopped (exit code ${code})`);
    dispatch.fail(stopped);
    if (!stopping) onError(stopped);
  });
  return {
    ...answer.ready,
    dispatch,
    async stop() {
      stopping = true;
      worker.postMessage("stop");
      await Promise.race([once(worker, "message"), once(worker, "exit")]);
      await worker.terminate();
      channel.port1.close();
    },
  };
}
