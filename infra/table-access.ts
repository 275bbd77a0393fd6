/**
 * The DynamoDB actions each function's code calls: its role is granted exactly these (the
 * stack test lists them per function), and the handlers' tests check that their calls stay
 * within them.
 */
export const TABLE_ACCESS = {
  // Keys, definitions and subscriptions are read; events and idempotency claims written,
  // completed, undone; ordered subscriptions' deliveries written.
  trigger: ["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"],
  // Lists query the indexes and read the deliveries they show by key; a deleted
  // subscription's health record goes with it; a retry, redrive or purge updates deliveries.
  api: ["BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"],
  fanout: ["GetItem", "Query", "PutItem"],
  // As the fan-out: the app's workflows, a payload stored apart, its runs' deliveries.
  runner: ["GetItem", "Query", "PutItem"],
  // A batch's deliveries read together; attempts (appended to the delivery, the fifth and
  // later in items of their own), statuses and health records; a subscription that resumes
  // loses its record.
  deliverer: ["BatchGetItem", "GetItem", "PutItem", "UpdateItem", "DeleteItem"],
  // A redrive's dead letter may disable a subscription failing too long: it is rewritten.
  "dead-letters": ["GetItem", "PutItem", "UpdateItem"],
} as const;

export type TableAction = (typeof TABLE_ACCESS)[keyof typeof TABLE_ACCESS][number];
