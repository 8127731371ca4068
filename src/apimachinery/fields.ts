/**
 * Field selectors, as k8s.io/apimachinery/pkg/fields: `?fieldSelector=spec.nodeName=node-1,status.phase!=Failed`.
 * Terms are equalities and inequalities on a resource's selectable fields, ANDed; values may escape `\`, `,` and
 * `=` with a backslash. Errors are worded as kube-apiserver words them.
 */
import { badRequest } from './status.js';

/** One term: the field, `=` (also written `==`) or `!=`, and the value (unescaped). */
export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** A parsed field selector. */
export interface FieldSelector {
  /** The terms, in kube's (sorted) order; all must match. */
  readonly requirements: readonly FieldRequirement[];
  /** True when the selector restricts nothing. */
  empty(): boolean;
  /** Whether an object with these selectable field values is selected; an absent field counts as `""`. */
  matches(fields: Record<string, string>): boolean;
  /** The canonical string form, values escaped, `==` written as `=`. */
  toString(): string;
  /** the value required by an `=`/`==` requirement on this field, if any */
  requiresExactMatch(field: string): string | undefined;
}

/** Escapes a literal value for use in a field selector (`\` → `\\`, `,` → `\,`, `=` → `\=`). */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Undoes {@link escapeFieldValue}; unknown escapes and bare `,` or `=` are errors, as in kube. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=')
        throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // kube formats the offending rune with %v, which prints its code point (61 for '='); keep that wording.
      throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped; escapes stay in the terms for unescapeValue to resolve. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

// `!=` and `==` are tried before `=` at each position so the operator is never split into field or value.
const TERM_OPERATORS = ['!=', '==', '='] as const;

/** Splits a term at its first operator; the field part has no escaping, so the first operator wins. */
function splitTerm(term: string): { field: string; op: (typeof TERM_OPERATORS)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

class TermsSelector implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(fields: Record<string, string>): boolean {
    return this.requirements.every((r) => {
      const actual = Object.hasOwn(fields, r.field) ? fields[r.field] : '';
      return r.operator === '=' ? actual === r.value : actual !== r.value;
    });
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }

  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }
}

const EVERYTHING: FieldSelector = new TermsSelector([]);

/** The field selector that matches everything. */
export function everythingFields(): FieldSelector {
  return EVERYTHING;
}

/** A selector requiring each field to equal its value (kube's fields.SelectorFromSet). */
export function fieldSelectorFromSet(set: Record<string, string> | undefined): FieldSelector {
  const reqs = Object.entries(set ?? {}).map(([field, value]): FieldRequirement => ({ field, operator: '=', value }));
  return reqs.length === 0 ? EVERYTHING : new TermsSelector(reqs);
}

/**
 * Parses a field selector as kube's fields.ParseSelector: comma-separated `field=value`, `field==value` or
 * `field!=value` terms; empty terms are skipped and the empty string selects everything. Fields are taken
 * verbatim (whether a field is selectable is {@link checkFieldLabels}' business). Invalid input throws a 400.
 */
export function parseFieldSelector(selector: string): FieldSelector {
  // kube sorts the raw terms so the same selector written in any order parses (and prints) the same.
  const parts = splitTerms(selector).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    reqs.push({ field: term.field, operator: term.op === '!=' ? '!=' : '=', value: unescapeValue(term.rhs) });
  }
  return reqs.length === 0 ? EVERYTHING : new TermsSelector(reqs);
}

/**
 * Rejects a selector on fields the resource cannot be selected by, as kube-apiserver's field label conversion
 * does (`field label not supported: spec.foo`). `supported` is the resource's selectable fields; kube makes
 * `metadata.name` and `metadata.namespace` selectable for every resource, so include them.
 */
export function checkFieldLabels(selector: FieldSelector, supported: ReadonlySet<string>): void {
  for (const r of selector.requirements) {
    if (!supported.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
  }
}
