import type { AddressInfo } from "node:net";
import { closeDynalite, serveDynalite } from "./dynamodb.ts";
import { LOOPBACK } from "./loopback.ts";
import { serveFauxqs } from "./sqs.ts";

/** The emulators' listeners: where they answer, and how to stop them. */
export interface EmulatorServers {
  dynamoEndpoint: string;
  sqsEndpoint: string;
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
    async stop() {
      await sqs.stop();
      await stopDynamo();
    },
  };
}
