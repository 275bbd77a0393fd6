/** Switchyard's version, sent as `user-agent: Switchyard/<version>` (SPEC §3). */
export const VERSION = "0.1.0";
export const USER_AGENT = `Switchyard/${VERSION}`;
