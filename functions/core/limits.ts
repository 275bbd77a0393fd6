/** SPEC §2 limits. */
export const LIMITS = {
  bodyBytes: 256 * 1024,
  nameLength: 200,
  descriptionLength: 2000,
  payloadDepth: 32,
  eventsPerWebhook: 100,
  linkedAccountsPerWebhook: 100,
  listDefault: 50,
  listMax: 200,
  /** A workflow action's or a subscription's own headers (SPEC §2, §3.1): how many, and each value's length. */
  headersPerRequest: 20,
  headerValueBytes: 4096,
} as const;
