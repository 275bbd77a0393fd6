import { describe, expect, it } from "vitest";
import { SLUG_PATTERN, slugFromName } from "../../../functions/core/slug.ts";

describe("slugFromName", () => {
  it("derives contact_created from 'Contact Created!'", () => {
    expect(slugFromName("Contact Created!")).toBe("contact_created");
  });

  it("lowercases ASCII letters and keeps digits", () => {
    expect(slugFromName("Invoice2Paid")).toBe("invoice2paid");
  });

  it("turns each run of characters outside [a-z0-9] into one underscore", () => {
    expect(slugFromName("a  -- b...c")).toBe("a_b_c");
  });

  it("treats an existing underscore like any other separator, collapsing it into the run", () => {
    expect(slugFromName("a_-_b")).toBe("a_b");
  });

  it("replaces non-ASCII letters, which are outside [a-z0-9]", () => {
    expect(slugFromName("Héllo Wörld")).toBe("h_llo_w_rld");
  });

  it("trims leading and trailing underscores", () => {
    expect(slugFromName("  __Invoice Paid__!  ")).toBe("invoice_paid");
  });

  it("derives the empty string from a name without letters or digits", () => {
    expect(slugFromName("!!!")).toBe("");
    expect(slugFromName("")).toBe("");
    expect(slugFromName("___")).toBe("");
  });

  it("cuts a long name to 64 characters", () => {
    const slug = slugFromName(`${"a".repeat(70)} tail`);
    expect(slug).toBe("a".repeat(64));
  });

  it("keeps a 64-character slug whole", () => {
    expect(slugFromName("b".repeat(64))).toBe("b".repeat(64));
  });

  it("never ends in an underscore when the cut falls right after a separator", () => {
    // 63 letters, a separator, more letters: the 64th character would be "_".
    const slug = slugFromName(`${"a".repeat(63)} bcd`);
    expect(slug).toBe("a".repeat(63));
    expect(slug).toMatch(SLUG_PATTERN);
  });

  it("derives a slug that SLUG_PATTERN accepts from any name with a letter or digit", () => {
    for (const name of ["Contact Created!", "  x  ", "Ünïcödé 42", `${"Long name ".repeat(20)}`]) {
      expect(slugFromName(name)).toMatch(SLUG_PATTERN);
    }
  });
});

describe("SLUG_PATTERN", () => {
  it("accepts lowercase letters, digits and underscores up to 64 characters", () => {
    for (const slug of ["contact_created", "a", "0", "_", "a1_b2", "x".repeat(64)]) {
      expect(SLUG_PATTERN.test(slug)).toBe(true);
    }
  });

  it("rejects the empty string and anything over 64 characters", () => {
    expect(SLUG_PATTERN.test("")).toBe(false);
    expect(SLUG_PATTERN.test("x".repeat(65))).toBe(false);
  });

  it("rejects uppercase letters, dashes, dots, spaces and non-ASCII letters", () => {
    for (const slug of ["Contact", "contact-created", "contact.created", "contact created", "é"]) {
      expect(SLUG_PATTERN.test(slug)).toBe(false);
    }
  });

  it("rejects a trailing newline", () => {
    expect(SLUG_PATTERN.test("contact\n")).toBe(false);
  });
});
