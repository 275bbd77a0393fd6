import { describe, expect, it } from "vitest";
import { BadRequest } from "../../../functions/core/errors.ts";
import type { JsonObject, JsonValue } from "../../../functions/core/json.ts";
import {
  checkTemplate,
  renderTemplate,
  type TemplateContext,
  TemplateError,
} from "../../../functions/core/templates.ts";

const PAYLOAD: JsonObject = {
  first_name: "Ada",
  last_name: "Lovelace",
  age: 36,
  is_new: true,
  manager: null,
  address: { pincode: 560103, city: "Bengaluru" },
  tags: ["vip", "new"],
  items: [{ sku: "A-1" }, { sku: "B-2" }],
};

const CONTEXT: TemplateContext = {
  payload: PAYLOAD,
  linked_account_id: "acc_123",
  event_id: "evt_1",
  event: "user.created",
  timestamp: "2024-01-02T03:04:05.000Z",
};

const render = (template: JsonValue, context: TemplateContext = CONTEXT) =>
  renderTemplate(template, context, "action.body");

/** The error renderTemplate throws, or a failure when it renders. */
function renderFailure(template: JsonValue, context: TemplateContext = CONTEXT): TemplateError {
  try {
    render(template, context);
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error("the template rendered");
}

/** The error checkTemplate throws, or a failure when it accepts the template. */
function rejection(template: JsonValue, where = "action.body"): BadRequest {
  try {
    checkTemplate(template, where);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequest);
    return error as BadRequest;
  }
  throw new Error("the template was accepted");
}

describe("renderTemplate", () => {
  it("keeps the JSON type of a string that is exactly one placeholder", () => {
    expect(
      render({
        pincode: "{{payload.address.pincode}}",
        is_new: "{{payload.is_new}}",
        manager: "{{payload.manager}}",
        tags: "{{payload.tags}}",
        whole: "{{payload}}",
      }),
    ).toEqual({
      pincode: 560103,
      is_new: true,
      manager: null,
      tags: ["vip", "new"],
      whole: PAYLOAD,
    });
  });

  it("reads every root", () => {
    expect(render(["{{linked_account_id}}", "{{event_id}}", "{{event}}", "{{timestamp}}"])).toEqual(
      ["acc_123", "evt_1", "user.created", "2024-01-02T03:04:05.000Z"],
    );
  });

  it("writes values inside longer strings as text", () => {
    expect(render("{{payload.first_name}} {{payload.last_name}}")).toBe("Ada Lovelace");
    expect(render("age {{payload.age}}, new {{payload.is_new}}")).toBe("age 36, new true");
    expect(render("at {{payload.address}}")).toBe('at {"pincode":560103,"city":"Bengaluru"}');
    expect(render("tags={{payload.tags}}")).toBe('tags=["vip","new"]');
  });

  it("writes null inside a longer string as the text null", () => {
    expect(render("manager: {{payload.manager}}")).toBe("manager: null");
    const noAccount = { ...CONTEXT, linked_account_id: null };
    expect(render("{{linked_account_id}}", noAccount)).toBeNull();
    expect(render("account={{linked_account_id}}", noAccount)).toBe("account=null");
  });

  it("ignores whitespace inside the braces", () => {
    expect(render("{{ payload.age }}")).toBe(36);
    expect(render("Hi {{  payload.first_name\t}}!")).toBe("Hi Ada!");
  });

  it("renders through nested objects and arrays without templating keys", () => {
    expect(
      render({
        "{{payload.first_name}}": "literal key",
        contact: { name: "{{payload.first_name}}", codes: ["{{payload.age}}", ["{{event}}"]] },
      }),
    ).toEqual({
      "{{payload.first_name}}": "literal key",
      contact: { name: "Ada", codes: [36, ["user.created"]] },
    });
  });

  it("passes numbers, booleans, null and placeholder-free strings through unchanged", () => {
    expect(render({ n: 1.5, b: false, z: null, s: "plain {text}" })).toEqual({
      n: 1.5,
      b: false,
      z: null,
      s: "plain {text}",
    });
  });

  it("reads array elements by numeric segment", () => {
    expect(render("{{payload.items.1.sku}}")).toBe("B-2");
    expect(render("{{payload.tags.0}}")).toBe("vip");
  });

  it("names the missing path and where it was", () => {
    const error = renderFailure({ name: "{{payload.middle_name}}" });
    expect(error.path).toBe("payload.middle_name");
    expect(error.name).toBe("TemplateError");
    expect(error.message).toBe("action.body.name: payload.middle_name is missing from the event");
  });

  it("names array index locations in the missing-path message", () => {
    const error = renderFailure({ tags: ["ok", "x {{payload.nope}}"] });
    expect(error.message).toBe("action.body.tags[1]: payload.nope is missing from the event");
  });

  it("treats out-of-bounds and non-canonical indexes as missing", () => {
    expect(renderFailure("{{payload.tags.2}}").path).toBe("payload.tags.2");
    expect(renderFailure("{{payload.tags.01}}").path).toBe("payload.tags.01");
    expect(renderFailure("{{payload.tags.length}}").path).toBe("payload.tags.length");
  });

  it("treats indexing into a string, number or null as missing", () => {
    expect(renderFailure("{{payload.first_name.0}}").path).toBe("payload.first_name.0");
    expect(renderFailure("{{payload.first_name.length}}").path).toBe("payload.first_name.length");
    expect(renderFailure("{{payload.age.x}}").path).toBe("payload.age.x");
    expect(renderFailure("{{payload.manager.x}}").path).toBe("payload.manager.x");
  });

  it("never walks into the prototype chain", () => {
    expect(renderFailure("{{payload.constructor}}").path).toBe("payload.constructor");
    expect(renderFailure("{{payload.__proto__}}").path).toBe("payload.__proto__");
    expect(renderFailure("{{payload.toString}}").path).toBe("payload.toString");
    expect(renderFailure("{{payload.address.constructor.name}}").path).toBe(
      "payload.address.constructor.name",
    );
  });

  it("reads own keys named __proto__ or constructor", () => {
    const payload = JSON.parse('{"__proto__": {"x": 1}, "constructor": "own"}') as JsonObject;
    const context = { ...CONTEXT, payload };
    expect(render("{{payload.__proto__.x}}", context)).toBe(1);
    expect(render("{{payload.constructor}}", context)).toBe("own");
  });

  it("keeps a __proto__ key of the template as a key", () => {
    const template = JSON.parse('{"__proto__": {"polluted": "{{event}}"}}') as JsonObject;
    const rendered = render(template) as JsonObject;
    expect(Object.hasOwn(rendered, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(rendered, "__proto__")?.value).toEqual({
      polluted: "user.created",
    });
  });

  it("mutates neither the template nor the event, and shares no objects with them", () => {
    const template: JsonObject = { a: "{{payload.address}}", b: ["{{payload.first_name}}"] };
    const templateBefore = structuredClone(template);
    const contextBefore = structuredClone(CONTEXT);
    const rendered = render(template) as JsonObject;
    expect(template).toEqual(templateBefore);
    expect(CONTEXT).toEqual(contextBefore);
    (rendered.a as JsonObject).pincode = 0;
    expect(PAYLOAD.address).toEqual({ pincode: 560103, city: "Bengaluru" });
  });
});

describe("checkTemplate", () => {
  it("accepts well-formed templates", () => {
    expect(() =>
      checkTemplate(
        {
          name: "{{payload.first_name}} {{ payload.last_name }}",
          all: "{{payload}}",
          sku: "{{payload.items.0.sku}}",
          meta: ["{{linked_account_id}}", "{{event_id}}", "{{event}}", "{{timestamp}}"],
          n: 1,
          b: true,
          z: null,
        },
        "action.body",
      ),
    ).not.toThrow();
  });

  it("accepts single braces and JSON-looking strings as literal text", () => {
    expect(() =>
      checkTemplate(
        { "x-json": '{"a":1}', "x-set": "{a, b}", "x-mixed": '{"id":"{{event_id}}"}' },
        "action.headers",
      ),
    ).not.toThrow();
    expect(render('{"id":"{{event_id}}"}')).toBe('{"id":"evt_1"}');
  });

  it("rejects an unknown root, naming it and the location", () => {
    expect(rejection({ authorization: "Bearer {{secret}}" }, "action.headers").message).toBe(
      'action.headers.authorization: unknown placeholder root "secret" (use payload, payload.…, linked_account_id, event_id, event or timestamp)',
    );
    expect(rejection("{{payloads.a}}").message).toContain('unknown placeholder root "payloads"');
  });

  it("rejects a sub-path on a root other than payload", () => {
    expect(rejection({ id: "{{event_id.x}}" }).message).toBe(
      'action.body.id: placeholder "event_id.x" reads into event_id; only payload has sub-paths',
    );
  });

  it("rejects empty path segments", () => {
    for (const text of ["{{payload..a}}", "{{payload.}}", "{{.payload}}"]) {
      expect(rejection({ a: text }).message).toMatch(/^action\.body\.a: .* empty path segment$/);
    }
  });

  it("rejects an empty placeholder", () => {
    expect(rejection({ a: "x{{}}" }).message).toBe('action.body.a: empty placeholder "{{}}"');
    expect(rejection({ a: "{{  }}" }).message).toBe('action.body.a: empty placeholder "{{  }}"');
  });

  it("rejects an unclosed {{", () => {
    expect(rejection({ contact: { name: "{{payload.name" } }).message).toBe(
      'action.body.contact.name: unbalanced braces: "{{payload.name" has no closing }}',
    );
    expect(rejection("ends with {{").message).toContain('"{{" has no closing }}');
    expect(rejection("one brace {{payload.a}").message).toContain("has no closing }}");
  });

  it("rejects a stray }}", () => {
    expect(rejection({ a: "x }} y" }).message).toBe(
      'action.body.a: unbalanced braces: "}}" at offset 2 has no opening {{',
    );
    expect(rejection("{{payload.a}}}}").message).toContain("at offset 13 has no opening {{");
    // There is no escape: JSON text that ends two objects at once cannot be a template.
    expect(rejection('{"a":{"b":1}}').message).toContain("has no opening {{");
  });

  it("rejects nested {{ {{", () => {
    expect(rejection({ a: "{{ {{payload.a}} }}" }).message).toBe(
      'action.body.a: unbalanced braces: "{{ {{" opens {{ inside a placeholder',
    );
  });

  it("names array index locations", () => {
    expect(rejection({ tags: ["ok", "{{nope}}"] }).message).toMatch(/^action\.body\.tags\[1\]: /);
    expect(rejection([["{{x}}"]]).message).toMatch(/^action\.body\[0\]\[0\]: /);
  });

  it("cuts long excerpts short", () => {
    const message = rejection(`{{payload.${"a".repeat(100)}`).message;
    expect(message).toBe(
      `action.body: unbalanced braces: "{{payload.${"a".repeat(30)}…" has no closing }}`,
    );
  });
});

describe("renderTemplate on a template that skipped checkTemplate", () => {
  it("throws the same 400 as checkTemplate", () => {
    expect(() => render({ a: "{{secret}}" })).toThrow(BadRequest);
    expect(() => render({ a: "{{secret}}" })).toThrow(/^action\.body\.a: unknown placeholder/);
  });
});
