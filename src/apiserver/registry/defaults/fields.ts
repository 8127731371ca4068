/**
 * Small helpers for defaulting JSON objects the way Go's generated defaulters do: a pointer field is unset when
 * absent or null; a string field is also unset when empty (Go cannot tell "" from unset).
 */

/** A JSON object as the defaulters edit it. */
export type Fields = Record<string, unknown>;

export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `key`, or undefined when absent or not an object. */
export function child(parent: Fields, key: string): Fields | undefined {
  const value = parent[key];
  return isFields(value) ? value : undefined;
}

/** The object at `key`, created empty when unset. */
export function ensure(parent: Fields, key: string): Fields {
  const value = parent[key];
  if (isFields(value)) return value;
  const created: Fields = {};
  parent[key] = created;
  return created;
}

/** The objects in the list at `key` (absent or malformed lists give none). */
export function items(parent: Fields | undefined, key: string): Fields[] {
  const value = parent?.[key];
  return Array.isArray(value) ? value.filter(isFields) : [];
}

/** Sets a pointer field (number, boolean, object, list) when absent or null. */
export function setDefault(obj: Fields, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

/** Sets a string field when absent, null or empty. */
export function setDefaultString(obj: Fields, key: string, value: string): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

/** Whether a map-valued field (labels, selector) has no entries. */
export function isEmptyMap(value: unknown): boolean {
  return !isFields(value) || Object.keys(value).length === 0;
}

/** A copy of a map-valued field, so defaulting never aliases two parts of one object. */
export function copyMap(value: Fields): Fields {
  return { ...value };
}
