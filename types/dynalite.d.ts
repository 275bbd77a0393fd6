declare module "dynalite" {
  import type { Server } from "node:http";

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }

  /** An HTTP server speaking the DynamoDB wire API (LevelDB on disk, or in memory). */
  export default function dynalite(options?: DynaliteOptions): Server;
}
