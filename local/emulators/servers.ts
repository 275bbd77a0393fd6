import type { AddressInfo } from "node:net";
import { closeDynalite, serveDynalite } from "./dynamodb.ts";
import { type Dispatch, emitInto } from "./in-process.ts";
import { LOOPBACK } from "./loopback.ts";
import { serveFauxqs } from "./sqs.ts";
import type { EmulatorName } from "./thread-dispatch.ts";

/**
 * The emulators' listeners: where they answer, a dispatch into each that needs no socket
 * (what the runtime's own clients use), and how to stop them.
 */
export interface EmulatorServers {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  dispatch: Record<EmulatorName, Dispatch>;
  stop(): Promise<void>;
}

/** dynalite and fauxqs on loopback ports, persisted under `dataDir`, in this thread. */
export async function serveEmulators(dataDir: string): Promise<EmulatorServers> {
  const dynamo = await serveDynalite(dataDir);
  const stopDynamo = () => closeDynalite(dynamo);
  const sqs = await serveFauxqs(dataDir).catch(async (error: unknown) => {
    await stopDynamo();
    throw error;
  });
  return {
    dynamoEndpoint: `http://${LOOPBACK}:${(dynamo.address() as AddressInfo).port}`,
    sqsEndpoint: sqs.address,
    dispatch: { dynamodb: emitInto(dynamo), sqs: emitInto(sqs.httpServer) },
    async stop() {
      await sqs.stop();
      await stopDynamo();
    },
  };
}
