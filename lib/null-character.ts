import type { FieldError } from "./errors";

export const NULL_CHARACTER_MESSAGE = "must not contain a null character";

/**
 * The fields of an input (a path parameter, a query, a JSON body, a form) that hold U+0000, each as
 * a field error. PostgreSQL refuses NUL in text with an error that would reach the caller as a 500,
 * so every door refuses it first and names the field. Keys count as well as values: a key is text
 * too, and some inputs (evidence, metadata) are kept as they came. Walked without recursion, as a
 * hostile body may nest thousands of levels deep.
 */
export function nullCharacterFields(input: unknown, rootPath = ""): FieldError[] {
  const found: FieldError[] = [];
  const pending: [unknown, string][] = [[input, rootPath]];
  const at = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === "string") {
      if (value.includes("\0")) found.push({ path: path || "(body)", message: NULL_CHARACTER_MESSAGE });
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes("\0"))
          found.push({ path: at(path, key.replaceAll("\0", "\\0")), message: NULL_CHARACTER_MESSAGE });
        else pending.push([item, at(path, key)]);
      }
    }
  }
  return found.reverse();
}
