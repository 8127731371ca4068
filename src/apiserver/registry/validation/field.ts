/**
 * kube's field errors (k8s.io/apimachinery/pkg/util/validation/field) as the StatusCauses of a 422: each
 * constructor words its message as field.Error.ErrorBody does (`Invalid value: "x": detail`, `Required value`,
 * `Unsupported value: "X": supported values: "A", "B"`, ...), and values print as Go prints them (`%q` for
 * strings, `%v` for numbers and booleans, `%#v` for maps and lists, String() for quantities and selectors).
 * Plus small readers for the untyped JSON objects validators walk.
 */
import type { FieldError } from '../../../apimachinery/names.js';
import { goQuote, goStringSlice } from '../../../apimachinery/names.js';
import { isFields, type Fields } from '../defaults/fields.js';

export type { FieldError, Fields };

/** A value rendered exactly as Go would print it in the message (already formatted). */
export interface GoRendered {
  readonly go: string;
}

/** A bad value: strings are `%q`-quoted, numbers and booleans printed bare, null as `null`. */
export type BadValue = string | number | boolean | null | undefined | GoRendered;

/** Marks pre-rendered text (a `map[string]string{...}`, a selector's String()) to print as is. */
export function rendered(go: string): GoRendered {
  return { go };
}

/** How field.Error prints a bad value. */
export function renderValue(value: BadValue): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value.go;
}

/** Go's `%#v` of a map[string]string: keys sorted, `"k":"v"` pairs joined by `, `. */
export function goStringMap(map: Record<string, string> | undefined): GoRendered {
  if (map === undefined) return rendered('map[string]string(nil)');
  const pairs = Object.keys(map)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(String(map[k]))}`);
  return rendered(`map[string]string{${pairs.join(', ')}}`);
}

/** Go's `%#v` of a []string. */
export function goStrings(values: readonly string[]): GoRendered {
  return rendered(goStringSlice(values));
}

export function invalid(field: string, value: BadValue, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${renderValue(value)}${detail ? `: ${detail}` : ''}` };
}

export function required(field: string, detail = ''): FieldError {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}

/** field.NotSupported: the supported values `%q`-quoted in the order given. */
export function notSupported(field: string, value: BadValue, supported: readonly string[]): FieldError {
  const detail = supported.length > 0 ? `: supported values: ${supported.map(goQuote).join(', ')}` : '';
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${renderValue(value)}${detail}` };
}

export function duplicate(field: string, value: BadValue): FieldError {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${renderValue(value)}` };
}

export function forbidden(field: string, detail: string): FieldError {
  return { reason: 'FieldValueForbidden', field, message: detail ? `Forbidden: ${detail}` : 'Forbidden' };
}

export function notFound(field: string, value: BadValue): FieldError {
  return { reason: 'FieldValueNotFound', field, message: `Not found: ${renderValue(value)}` };
}

/** field.TooLong: the value itself is never printed. */
export function tooLong(field: string, maxBytes: number): FieldError {
  return { reason: 'FieldValueTooLong', field, message: `Too long: must have at most ${maxBytes} bytes` };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return { reason: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
}

/** kube's FieldImmutableErrorMsg, from ValidateImmutableField. */
export const FIELD_IMMUTABLE = 'field is immutable';

/** ValidateImmutableField: Invalid with the new value when it differs from the old one. */
export function immutable(field: string, next: unknown, old: unknown, render: BadValue): FieldError[] {
  return semanticEqual(next, old) ? [] : [invalid(field, render, FIELD_IMMUTABLE)];
}

/** kube's IsNegativeErrorMsg. */
export const IS_NEGATIVE = 'must be greater than or equal to 0';

/** kube's InclusiveRangeError. */
export function inclusiveRange(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** ValidateNonnegativeField for an optional integer. */
export function nonNegative(field: string, value: unknown): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalid(field, value, IS_NEGATIVE)] : [];
}

/**
 * apiequality.Semantic.DeepEqual for JSON: an absent field, null, an empty list and an empty map compare
 * equal (Go cannot tell a nil slice from an omitted one after a round trip), and key order never matters.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const empty = (v: unknown): boolean =>
    v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isFields(v) && Object.keys(v).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  if (isFields(a) && isFields(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

// Readers for the untyped JSON validators walk: a wrong JSON type reads as unset.

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

export function obj(v: unknown): Fields | undefined {
  return isFields(v) ? v : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The entries of a list that are objects, with their index in the list. */
export function objects(v: unknown): Array<[number, Fields]> {
  return list(v).flatMap((x, i): Array<[number, Fields]> => (isFields(x) ? [[i, x]] : []));
}

/** A map[string]string field (labels, selector, data); non-string values are read as strings. */
export function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isFields(v)) return undefined;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : String(x)]));
}

/** The messages of a name validator (isDNS1123Label, ...) as Invalid causes at `field`. */
export function invalidEach(field: string, value: string, messages: string[]): FieldError[] {
  return messages.map((m) => invalid(field, value, m));
}

/**
 * What changed between two JSON values, one `-`/`+` pair of lines per differing path. kube appends Go's
 * cmp.Diff of the structs to its "may not change" messages; this is the same information in JSON terms.
 */
export function specDiff(old: unknown, next: unknown, path: string): string {
  const out: string[] = [];
  differences(old, next, path, out);
  return out.join('\n');
}

function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (semanticEqual(a, b)) return;
  const aObj = obj(a);
  const bObj = obj(b);
  if (aObj && bObj) {
    for (const k of new Set([...Object.keys(aObj), ...Object.keys(bObj)])) differences(aObj[k], bObj[k], `${path}.${k}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => differences(x, b[i], `${path}[${i}]`, out));
    return;
  }
  out.push(`- \t${path}: ${JSON.stringify(a ?? null)}`, `+ \t${path}: ${JSON.stringify(b ?? null)}`);
}
