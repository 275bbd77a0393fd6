import pkg from "../package.json" with { type: "json" };

/** Switchyard's version, sent as `user-agent: Switchyard/<version>` (SPEC §3). */
export const VERSION: string = pkg.version;
export const USER_AGENT = `Switchyard/${VERSION}`;
