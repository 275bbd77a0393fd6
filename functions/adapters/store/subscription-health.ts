import {
  DeleteCommand,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { SubscriptionHealth } from "../../core/model.ts";
import type { SubscriptionHealthStore } from "../../core/ports.ts";
import { HEALTHY } from "../../core/subscription-health.ts";
import { isConditionFailure, nowMs, type TableContext, withoutKeys } from "./table-context.ts";

/**
 * Health records, one item per subscription that has failed or been slow lately, each a
 * partition of its own (`HEALTH#<app>#<subscription>`: written at every failure, they would
 * make the app's configuration partition a hot key when many receivers fail at once); none for
 * a healthy one, and a record of a slow mark alone expires by itself. Each change is one
 * conditional or atomic update, so deliverers racing on one subscription never undo each other.
 */
export function subscriptionHealthStore(table: TableContext): SubscriptionHealthStore {
  const keyOf = (appId: string, subscriptionId: string) => ({
    PK: `HEALTH#${appId}#${subscriptionId}`,
    SK: "HEALTH",
  });
  const update = (appId: string, subscriptionId: string, input: Partial<UpdateCommandInput>) =>
    table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keyOf(appId, subscriptionId),
        ...input,
      } as UpdateCommandInput),
    );
  /** An update whose condition may not hold: false then. */
  const updateIf = async (
    appId: string,
    subscriptionId: string,
    input: Partial<UpdateCommandInput>,
  ) => {
    try {
      await update(appId, subscriptionId, input);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  };

  const recordFailure = async (appId: string, subscriptionId: string, now: string) => {
    const { Attributes } = await update(appId, subscriptionId, {
      // A failure makes the record one to keep: no expiry, until a success deletes it. The
      // first of a streak dates it, in the same write: no cost beyond counting the failure.
      UpdateExpression:
        "ADD failures :one SET kind = :kind, failing_since = if_not_exists(failing_since, :now) REMOVE expires_at",
      ExpressionAttributeValues: { ":one": 1, ":kind": "subscription_health", ":now": now },
      ReturnValues: "ALL_NEW",
    });
    const { PK: _pk, SK: _sk, kind: _kind, ...health } = Attributes ?? {};
    return { ...HEALTHY, ...(health as Partial<SubscriptionHealth>) };
  };

  return {
    recordFailure,

    async getHealth(appId, subscriptionId) {
      const { Item } = await table.doc.send(
        new GetCommand({ TableName: table.tableName, Key: keyOf(appId, subscriptionId) }),
      );
      return Item ? { ...HEALTHY, ...withoutKeys<SubscriptionHealth>(Item) } : HEALTHY;
    },

    pause: (appId, subscriptionId, until) =>
      updateIf(appId, subscriptionId, {
        UpdateExpression:
          "SET paused_until = :until, pauses = if_not_exists(pauses, :zero) + :one, kind = :kind REMOVE probe_until",
        ConditionExpression: "attribute_not_exists(paused_until)",
        ExpressionAttributeValues: {
          ":until": until,
          ":zero": 0,
          ":one": 1,
          ":kind": "subscription_health",
        },
      }),

    claimProbe: (appId, subscriptionId, pausedUntil, leaseUntil, now) =>
      updateIf(appId, subscriptionId, {
        UpdateExpression: "SET probe_until = :lease",
        // ISO 8601 UTC times of one format compare as strings do.
        ConditionExpression:
          "paused_until = :paused AND paused_until <= :now AND (attribute_not_exists(probe_until) OR probe_until <= :now)",
        ExpressionAttributeValues: { ":lease": leaseUntil, ":paused": pausedUntil, ":now": now },
      }),

    async failProbe(appId, subscriptionId, leaseUntil, until, now) {
      const paused = await updateIf(appId, subscriptionId, {
        UpdateExpression:
          "SET paused_until = :until ADD failures :one, pauses :one REMOVE probe_until",
        ConditionExpression: "probe_until = :lease",
        ExpressionAttributeValues: { ":until": until, ":one": 1, ":lease": leaseUntil },
      });
      // The lease ran out and another delivery probes now: this failure still counts.
      if (!paused) await recordFailure(appId, subscriptionId, now);
    },

    async markSlow(appId, subscriptionId, until, now) {
      // Only the first deliverer to see it slow writes; the rest find the mark live. A
      // failing or paused subscription is in the slow lane already and is never marked.
      const unmarked =
        "(attribute_not_exists(slow_until) OR slow_until <= :now) AND attribute_not_exists(failures) AND attribute_not_exists(paused_until)";
      const values = { ":until": until, ":now": now, ":kind": "subscription_health" };
      // A record that holds nothing but a mark expires an hour after it (TTL): a slow
      // receiver that never fails leaves nothing behind. One whose rate limiter gave out
      // slots beyond that keeps no expiry: the slots must outlive the mark.
      const expiring = updateIf(appId, subscriptionId, {
        UpdateExpression: "SET slow_until = :until, expires_at = :expires, kind = :kind",
        ConditionExpression: `${unmarked} AND (attribute_not_exists(next_send_at) OR next_send_at <= :latest)`,
        ExpressionAttributeValues: {
          ...values,
          ":expires": Math.ceil(Date.parse(until) / 1000) + 60 * 60,
          ":latest": Date.parse(until) + 60 * 60 * 1000,
        },
      });
      if (await expiring) return true;
      return updateIf(appId, subscriptionId, {
        UpdateExpression: "SET slow_until = :until, kind = :kind",
        ConditionExpression: `${unmarked} AND next_send_at > :latest`,
        ExpressionAttributeValues: { ...values, ":latest": Date.parse(until) + 60 * 60 * 1000 },
      });
    },

    async resume(appId, subscriptionId) {
      // A rate limiter's slots still to come stay: dropping them would let new sends land on
      // slots already given out.
      try {
        await table.doc.send(
          new DeleteCommand({
            TableName: table.tableName,
            Key: keyOf(appId, subscriptionId),
            ConditionExpression: "attribute_not_exists(next_send_at) OR next_send_at <= :now",
            ExpressionAttributeValues: { ":now": nowMs(table) },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        await updateIf(appId, subscriptionId, {
          UpdateExpression:
            "REMOVE failures, failing_since, paused_until, pauses, probe_until, slow_until",
          // Not when a delete raced this one: that would leave a bare item behind.
          ConditionExpression: "attribute_exists(PK)",
        });
      }
    },

    async dropHealth(appId, subscriptionId) {
      await table.doc.send(
        new DeleteCommand({ TableName: table.tableName, Key: keyOf(appId, subscriptionId) }),
      );
    },

    async takeSendSlot(appId, subscriptionId, nowMs, intervalMs, idle) {
      // DynamoDB has no max(): one of two conditional updates applies, chosen by the slot
      // the caller expects, then the other. Each that does not apply costs a write unit.
      // Both clear the record's expiry (a slow mark's): slots must outlive it.
      const fromNow = () =>
        update(appId, subscriptionId, {
          UpdateExpression: "SET next_send_at = :next, kind = :kind REMOVE expires_at",
          ConditionExpression: "attribute_not_exists(next_send_at) OR next_send_at <= :now",
          ExpressionAttributeValues: {
            ":next": nowMs + intervalMs,
            ":now": nowMs,
            ":kind": "subscription_health",
          },
        }).then(() => nowMs);
      const afterLast = () =>
        update(appId, subscriptionId, {
          UpdateExpression: "SET next_send_at = next_send_at + :interval REMOVE expires_at",
          ConditionExpression: "next_send_at > :now",
          ExpressionAttributeValues: { ":interval": intervalMs, ":now": nowMs },
          ReturnValues: "UPDATED_OLD",
        }).then(({ Attributes }) => Number(Attributes?.next_send_at));
      let tryIdle = idle;
      for (let tries = 0; tries < 4; tries++) {
        try {
          return await (tryIdle ? fromNow() : afterLast());
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          tryIdle = !tryIdle;
        }
      }
      throw new Error(`subscription ${subscriptionId}'s send slots kept changing; try again`);
    },
  };
}
