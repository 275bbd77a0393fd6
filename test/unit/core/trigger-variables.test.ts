import { describe, expect, it } from "vitest";
import { BadRequest } from "../../../functions/core/errors.ts";
import type { JsonObject } from "../../../functions/core/json.ts";
import {
  article,
  assertPayloadFitsSample,
  triggerVariables,
} from "../../../functions/core/trigger-variables.ts";

/** The sample of SPEC §2.1, with every other JSON type added. */
const SAMPLE: JsonObject = {
  first_name: "Mark",
  address: { pincode: 560103, city: "Bengaluru" },
  tags: ["vip", "new"],
  scores: [],
  meta: {},
  manager: null,
  is_new: true,
};

/** The error assertPayloadFitsSample throws, or a failure when it accepts the payload. */
function rejection(payload: JsonObject, sample: JsonObject = SAMPLE): BadRequest {
  try {
    assertPayloadFitsSample(payload, sample);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequest);
    return error as BadRequest;
  }
  throw new Error("the payload was accepted");
}

describe("triggerVariables", () => {
  it("lists every leaf of the sample in document order with its JSON type", () => {
    expect(triggerVariables(SAMPLE)).toEqual([
      { path: "payload.first_name", type: "string" },
      { path: "payload.address.pincode", type: "number" },
      { path: "payload.address.city", type: "string" },
      { path: "payload.tags[]", type: "string" },
      { path: "payload.scores[]", type: "array" },
      { path: "payload.meta", type: "object" },
      { path: "payload.manager", type: "null" },
      { path: "payload.is_new", type: "boolean" },
    ]);
  });

  it("gives payload.address.pincode the type number for the SPEC example", () => {
    expect(triggerVariables({ first_name: "Mark", address: { pincode: 560103 } })).toContainEqual({
      path: "payload.address.pincode",
      type: "number",
    });
  });

  it("types an array by its first element only", () => {
    expect(triggerVariables({ mixed: [1, "two", null] })).toEqual([
      { path: "payload.mixed[]", type: "number" },
    ]);
    expect(triggerVariables({ rows: [{ id: 1 }] })).toEqual([
      { path: "payload.rows[]", type: "object" },
    ]);
    expect(triggerVariables({ grid: [[1]] })).toEqual([{ path: "payload.grid[]", type: "array" }]);
  });

  it("describes false and 0 as boolean and number, not as missing", () => {
    expect(triggerVariables({ off: false, zero: 0, empty: "" })).toEqual([
      { path: "payload.off", type: "boolean" },
      { path: "payload.zero", type: "number" },
      { path: "payload.empty", type: "string" },
    ]);
  });

  it("descends through deeply nested objects", () => {
    expect(triggerVariables({ a: { b: { c: { d: "x" } } } })).toEqual([
      { path: "payload.a.b.c.d", type: "string" },
    ]);
  });

  it("has no variables for an empty sample", () => {
    expect(triggerVariables({})).toEqual([]);
  });
});

describe("assertPayloadFitsSample", () => {
  it("accepts the sample itself", () => {
    expect(() => assertPayloadFitsSample(SAMPLE, SAMPLE)).not.toThrow();
  });

  it("accepts a payload with other values of the same types and extra keys", () => {
    const payload: JsonObject = {
      first_name: "Ada",
      last_name: "Lovelace",
      address: { pincode: 1, city: "London", street: "St James's Square" },
      tags: [],
      scores: [1, "mixed", null],
      meta: { anything: [1] },
      manager: null,
      is_new: false,
    };
    expect(() => assertPayloadFitsSample(payload, SAMPLE)).not.toThrow();
  });

  it("answers 400 naming a missing nested path", () => {
    const { address: _, ...withoutAddress } = SAMPLE;
    const error = rejection({ ...withoutAddress, address: { city: "Bengaluru" } });
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe("payload.address.pincode is required by the event's sample");
  });

  it("answers 400 naming a missing top-level path", () => {
    const { first_name: _, ...payload } = SAMPLE;
    const error = rejection(payload);
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe("payload.first_name is required by the event's sample");
  });

  it("answers 400 naming a leaf of the wrong type", () => {
    const error = rejection({ ...SAMPLE, address: { pincode: "560103", city: "Bengaluru" } });
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe("payload.address.pincode must be a number");
  });

  it("names boolean, object and null expectations with the right article", () => {
    expect(rejection({ ...SAMPLE, is_new: "yes" }).message).toBe(
      "payload.is_new must be a boolean",
    );
    expect(rejection({ ...SAMPLE, meta: [] }).message).toBe("payload.meta must be an object");
    expect(rejection({ ...SAMPLE, manager: "Grace" }).message).toBe("payload.manager must be null");
  });

  it("answers 400 when a sample array is not an array in the payload", () => {
    const error = rejection({ ...SAMPLE, tags: "vip" });
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe("payload.tags must be an array");
  });

  it("requires an array for an empty sample array but not any element type", () => {
    expect(rejection({ ...SAMPLE, scores: {} }).message).toBe("payload.scores must be an array");
    expect(() => assertPayloadFitsSample({ ...SAMPLE, scores: [true, 2] }, SAMPLE)).not.toThrow();
  });

  it("names the first array element of the wrong type with its index", () => {
    const error = rejection({ ...SAMPLE, tags: ["vip", 7, false] });
    expect(error.statusCode).toBe(400);
    expect(error.message).toBe("payload.tags[1] must be a string");
  });

  it("accepts a payload identical to its sample when a key contains a dot", () => {
    // The sample defines "user.email" as one key; a payload equal to the sample must fit it.
    const sample: JsonObject = { "user.email": "a@example.com" };
    expect(() => assertPayloadFitsSample({ ...sample }, sample)).not.toThrow();
  });

  it("treats a sample key ending in [] as a plain key, not as an array", () => {
    const sample: JsonObject = { "ids[]": 1 };
    expect(() => assertPayloadFitsSample({ "ids[]": 2 }, sample)).not.toThrow();
    expect(rejection({ "ids[]": [2] }, sample).message).toBe("payload.ids[] must be a number");
  });

  it("names the leaf under a parent that is not an object in the payload", () => {
    const error = rejection({ ...SAMPLE, address: "Bengaluru" });
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain("payload.address");
  });

  it("accepts anything when the sample is empty", () => {
    expect(() => assertPayloadFitsSample({ whatever: [1, 2] }, {})).not.toThrow();
  });
});

describe("article", () => {
  it("puts 'a' or 'an' before a type name and leaves null bare", () => {
    expect(article("string")).toBe("a string");
    expect(article("object")).toBe("an object");
    expect(article("array")).toBe("an array");
    expect(article("null")).toBe("null");
  });
});
