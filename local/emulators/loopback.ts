import { type AddressInfo, Server } from "node:net";

/** The one address every local listener binds. */
export const LOOPBACK = "127.0.0.1";

/** Hosts that mean "every interface" to `listen`. */
const EVERY_INTERFACE = new Set<unknown>([undefined, null, "", "0.0.0.0", "::"]);

/**
 * Runs `start` with every server it starts bound to 127.0.0.1, and answers what it started
 * with those servers and the addresses they really listen on.
 *
 * fauxqs (2.4) listens on 0.0.0.0 and has no option to change that (its `host` option only
 * names the host in queue URLs), so while `start` runs, a `listen` that asks for every
 * interface is given loopback instead. Only the options-object form (the one Fastify uses) is
 * rewritten; the addresses are read from the sockets themselves, so a caller can refuse a
 * listener that got past this.
 */
export async function startOnLoopback<T>(
  start: () => Promise<T>,
): Promise<{ started: T; addresses: string[]; servers: Server[] }> {
  const listen = Server.prototype.listen;
  const servers: Server[] = [];
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    servers.push(this);
    const [options] = args;
    if (isEveryInterface(options)) args[0] = { ...options, host: LOOPBACK };
    return Reflect.apply(listen, this, args);
  } as Server["listen"];
  let started: T;
  try {
    started = await start();
  } finally {
    Server.prototype.listen = listen;
  }
  const addresses = servers.map((server) => (server.address() as AddressInfo | null)?.address);
  return {
    started,
    addresses: addresses.map((address) => address ?? "(not listening)"),
    servers,
  };
}

function isEveryInterface(options: unknown): options is object {
  if (typeof options !== "object" || options === null) return false;
  const { host, path } = options as { host?: unknown; path?: unknown };
  return path === undefined && EVERY_INTERFACE.has(host);
}
