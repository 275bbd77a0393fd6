/**
 * JSON text nested `levels` deep, built as text: a hostile client sends it as such, and
 * JSON.stringify of the value would itself overflow the stack at these depths.
 */
export const deepObjects = (levels: number): string =>
  `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;

/** `levels` arrays, each holding the next: `[[[]]]` is 3. */
export const deepArrays = (levels: number): string => `${"[".repeat(levels)}${"]".repeat(levels)}`;
