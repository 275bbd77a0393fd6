import { describe, expect, it } from "vitest";
import type * as z from "zod/mini";
import { BadRequest } from "../../../functions/core/errors.ts";
import {
  createDefinitionBody,
  createWebhookBody,
  deliveryListQuery,
} from "../../../functions/core/schemas.ts";
import { triggerBody } from "../../../functions/core/trigger-schemas.ts";
import { parseInput } from "../../../functions/core/validation.ts";

/** The message of the 400 parseInput throws for `input`; fails when the input is accepted. */
function messageFor(schema: z.ZodMiniType, input: unknown, what?: string): string {
  try {
    parseInput(schema, input, what);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequest);
    expect((error as BadRequest).statusCode).toBe(400);
    expect((error as BadRequest).errorType).toBe("BAD_REQUEST");
    return (error as BadRequest).message;
  }
  throw new Error(`the input was accepted: ${JSON.stringify(input)}`);
}

const definition = { name: "Contact Created", sample_payload: { first_name: "Mark" } };
const webhook = { url: "https://example.com/hooks", events: ["contact_created"] };

describe("parseInput with createDefinitionBody", () => {
  it("returns the parsed body, with the name trimmed", () => {
    expect(parseInput(createDefinitionBody, { ...definition, name: "  Contact  " })).toEqual({
      ...definition,
      name: "Contact",
    });
  });

  it("says 'name must be a string' for a number", () => {
    expect(messageFor(createDefinitionBody, { ...definition, name: 5 })).toBe(
      "name must be a string",
    );
  });

  it("says 'strict must be a boolean' for a string", () => {
    expect(messageFor(createDefinitionBody, { ...definition, strict: "yes" })).toBe(
      "strict must be a boolean",
    );
  });

  it("says 'name is required' when the name is missing", () => {
    expect(messageFor(createDefinitionBody, { sample_payload: {} })).toBe("name is required");
  });

  it("says 'sample_payload is required' when the sample is missing", () => {
    expect(messageFor(createDefinitionBody, { name: "Contact Created" })).toBe(
      "sample_payload is required",
    );
  });

  it("says 'sample_payload must be an object' for an array, null or a string", () => {
    for (const sample of [[], null, "x"]) {
      expect(messageFor(createDefinitionBody, { ...definition, sample_payload: sample })).toBe(
        "sample_payload must be an object",
      );
    }
  });

  it("names an unknown field", () => {
    expect(messageFor(createDefinitionBody, { ...definition, colour: "red" })).toBe(
      'body has unknown field "colour"',
    );
  });

  it("names every unknown field", () => {
    expect(messageFor(createDefinitionBody, { ...definition, colour: "red", size: 2 })).toBe(
      'body has unknown fields "colour", "size"',
    );
  });

  it("accepts a name of 200 characters and rejects one of 201", () => {
    expect(parseInput(createDefinitionBody, { ...definition, name: "n".repeat(200) }).name).toBe(
      "n".repeat(200),
    );
    expect(messageFor(createDefinitionBody, { ...definition, name: "n".repeat(201) })).toBe(
      "name must be at most 200 characters long",
    );
  });

  it("rejects a name of spaces only as empty", () => {
    expect(messageFor(createDefinitionBody, { ...definition, name: "   " })).toBe(
      "name must not be empty",
    );
  });

  it("rejects a slug outside ^[a-z0-9_]{1,64}$", () => {
    for (const slug of ["Contact", "", "a".repeat(65), "contact-created"]) {
      expect(messageFor(createDefinitionBody, { ...definition, slug })).toBe(
        "slug must match ^[a-z0-9_]{1,64}$",
      );
    }
  });

  it("says the body must be an object when it is null or an array", () => {
    expect(messageFor(createDefinitionBody, null)).toBe("body must be an object");
    expect(messageFor(createDefinitionBody, [])).toBe("body must be an object");
  });

  it("names the body with the given word when the whole input is wrong", () => {
    expect(messageFor(createDefinitionBody, "text", "request body")).toBe(
      "request body must be an object",
    );
  });
});

describe("parseInput with triggerBody", () => {
  it("accepts an empty body and a payload object", () => {
    expect(parseInput(triggerBody, {})).toEqual({});
    expect(parseInput(triggerBody, { event: "contact_created", payload: { a: 1 } })).toEqual({
      event: "contact_created",
      payload: { a: 1 },
    });
  });

  it("says 'payload must be an object' for an array payload", () => {
    expect(messageFor(triggerBody, { payload: [1, 2] })).toBe("payload must be an object");
  });

  it("says 'payload must be an object' for a string or null payload", () => {
    expect(messageFor(triggerBody, { payload: "x" })).toBe("payload must be an object");
    expect(messageFor(triggerBody, { payload: null })).toBe("payload must be an object");
  });

  it("says 'event must be a string' for a number", () => {
    expect(messageFor(triggerBody, { event: 3 })).toBe("event must be a string");
  });

  it("rejects an event name over 200 characters", () => {
    expect(messageFor(triggerBody, { event: "e".repeat(201) })).toBe(
      "event must be at most 200 characters long",
    );
  });
});

describe("parseInput with createWebhookBody", () => {
  it("says 'url is required' when the url is missing", () => {
    expect(messageFor(createWebhookBody, { events: ["a"] })).toBe("url is required");
  });

  it("names an array element by its index: events[0] must be a string", () => {
    expect(messageFor(createWebhookBody, { ...webhook, events: [5] })).toBe(
      "events[0] must be a string",
    );
  });

  it("names the index of an empty event type", () => {
    expect(messageFor(createWebhookBody, { ...webhook, events: ["a", ""] })).toBe(
      "events[1] must not be empty",
    );
  });

  it("rejects an empty events list", () => {
    expect(messageFor(createWebhookBody, { ...webhook, events: [] })).toMatch(/^events must /);
  });

  it("names a linked account id with a control character by its index", () => {
    expect(
      messageFor(createWebhookBody, { ...webhook, linked_account_ids: ["acme", "a\nb"] }),
    ).toBe("linked_account_ids[1] must hold printable characters only");
  });

  it("says 'filter must be an object' for an array filter", () => {
    expect(messageFor(createWebhookBody, { ...webhook, filter: [] })).toBe(
      "filter must be an object",
    );
  });
});

describe("parseInput with deliveryListQuery", () => {
  it("defaults limit to 50", () => {
    expect(parseInput(deliveryListQuery, {})).toEqual({ limit: 50 });
  });

  it("takes limit from a query string value", () => {
    expect(parseInput(deliveryListQuery, { limit: "7", status: "failed" })).toEqual({
      limit: 7,
      status: "failed",
    });
  });

  it("keeps a limit of 200 and clamps a larger one to 200", () => {
    expect(parseInput(deliveryListQuery, { limit: "200" }).limit).toBe(200);
    expect(parseInput(deliveryListQuery, { limit: "500" }).limit).toBe(200);
  });

  it("answers 400 for limit 0", () => {
    expect(messageFor(deliveryListQuery, { limit: "0" })).toBe("limit must be at least 1");
  });

  it("answers 400 for a fractional limit", () => {
    expect(messageFor(deliveryListQuery, { limit: "2.5" })).toMatch(/^limit must be /);
  });

  it("says 'limit must be a number' for a limit that is not a number", () => {
    expect(messageFor(deliveryListQuery, { limit: "abc" })).toBe("limit must be a number");
  });

  it("lists the allowed statuses for an unknown one", () => {
    expect(messageFor(deliveryListQuery, { status: "bogus" })).toBe(
      'status must be one of "pending", "succeeded", "failed", "dead_lettered", "discarded"',
    );
  });

  it("names an unknown query parameter", () => {
    expect(messageFor(deliveryListQuery, { sort: "asc" }, "query")).toBe(
      'query has unknown field "sort"',
    );
  });
});
