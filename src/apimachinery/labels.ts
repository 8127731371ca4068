/**
 * Label selectors, as k8s.io/apimachinery/pkg/labels: the `?labelSelector=` string syntax (`app=web,tier in
 * (a,b),!canary`), the metav1.LabelSelector of controllers' specs, and matching with Kubernetes' semantics.
 * Parse errors are worded as kube-apiserver words them, since clients show them to users verbatim.
 */
import type { LabelSelector as MetaLabelSelector } from 'kubernetes-types/meta/v1.js';
import { badRequest } from './status.js';
import { goQuote, goStringSlice, isQualifiedName, isValidLabelValue } from './names.js';

/** How a requirement relates a label's value to its values (kube's selection.Operator). */
export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'DoubleEquals' | 'NotEquals' | 'GreaterThan' | 'LessThan';

/** One term of a selector; a selector matches when all of its requirements do. */
export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** A parsed label selector. */
export interface LabelSelector {
  /** The requirements, sorted by key; all must match. */
  readonly requirements: readonly Requirement[];
  /** True when the selector restricts nothing (matches every object). */
  empty(): boolean;
  /** Whether an object with these labels is selected. */
  matches(labels: Record<string, string> | undefined): boolean;
  /** The canonical string form (`a=b,c in (d,e)`), suitable for a `labelSelector` query parameter. */
  toString(): string;
  /** The single value an `=`, `==` or one-value `in` requirement on `label` demands, if there is one. */
  requiresExactMatch(label: string): string | undefined;
}

/** Parses an integer as Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, within int64. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'In':
    case 'Equals':
    case 'DoubleEquals':
      return value !== undefined && r.values.includes(value);
    // An absent label is "not equal" to anything: `tier!=db` selects objects without a tier.
    case 'NotIn':
    case 'NotEquals':
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'GreaterThan':
    case 'LessThan': {
      if (value === undefined || r.values.length !== 1) return false;
      const actual = parseInt64(value);
      const bound = parseInt64(r.values[0]!);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'GreaterThan' ? actual > bound : actual < bound;
    }
  }
}

const OPERATOR_TEXT: Record<Operator, string> = {
  ...{ Equals: '=', DoubleEquals: '==', NotEquals: '!=', In: ' in ', NotIn: ' notin ' },
  ...{ GreaterThan: '>', LessThan: '<', Exists: '', DoesNotExist: '' },
};

function requirementString(r: Requirement): string {
  if (r.operator === 'Exists') return r.key;
  if (r.operator === 'DoesNotExist') return `!${r.key}`;
  // Values print sorted so equal selectors print equally, whatever order they were written in.
  const values = [...r.values].sort().join(',');
  const set = r.operator === 'In' || r.operator === 'NotIn';
  return `${r.key}${OPERATOR_TEXT[r.operator]}${set ? `(${values})` : values}`;
}

class RequirementsSelector implements LabelSelector {
  constructor(readonly requirements: readonly Requirement[]) {}

  empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Record<string, string> | undefined): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }

  requiresExactMatch(label: string): string | undefined {
    const r = this.requirements.find((req) => req.key === label);
    if (!r || r.values.length !== 1) return undefined;
    return r.operator === 'Equals' || r.operator === 'DoubleEquals' || r.operator === 'In' ? r.values[0] : undefined;
  }
}

/** What a nil metav1.LabelSelector means: select nothing. It is not "empty": it restricts everything. */
const NOTHING: LabelSelector = {
  requirements: [],
  empty: () => false,
  matches: () => false,
  toString: () => '',
  requiresExactMatch: () => undefined,
};

const EVERYTHING: LabelSelector = new RequirementsSelector([]);

/** The selector that matches every set of labels. */
export function everything(): LabelSelector {
  return EVERYTHING;
}

/** The selector that matches nothing (kube's labels.Nothing()). */
export function nothing(): LabelSelector {
  return NOTHING;
}

function sortedByKey(reqs: Requirement[]): Requirement[] {
  // Sorting makes parsing deterministic (kube sorts too); Array#sort is stable, so equal keys keep their order.
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** A selector requiring exactly these labels (kube's SelectorFromSet); no validation, empty set = everything. */
export function selectorFromSet(set: Record<string, string> | undefined): LabelSelector {
  const reqs = Object.entries(set ?? {}).map(([key, value]): Requirement => ({ key, operator: 'Equals', values: [value] }));
  return reqs.length === 0 ? EVERYTHING : new RequirementsSelector(sortedByKey(reqs));
}

/** A field.Error's text: `<path>: Invalid value: <value>: <detail>`. */
function invalid(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${value}: ${detail}`;
}

/** kube's utilerrors aggregate: one message alone, several de-duplicated in brackets. */
function aggregate(errs: string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

/** Values as kube prints them: it copies them with append onto a nil slice, so no values print as nil. */
function valuesText(values: readonly string[]): string {
  return values.length === 0 ? '[]string(nil)' : goStringSlice(values);
}

/**
 * The problems with a requirement, as kube's NewRequirement reports them. `keyPath` is where a bad key is
 * reported (`key` for a metav1 selector); without it the key is not checked (the parser checked it already).
 */
function requirementErrors(r: Requirement, keyPath?: string): string[] {
  const errs: string[] = [];
  if (keyPath !== undefined) {
    const keyErrs = isQualifiedName(r.key);
    if (keyErrs.length) errs.push(invalid(keyPath, goQuote(r.key), keyErrs.join('; ')));
  }
  const n = r.values.length;
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (n === 0) errs.push(invalid('values', valuesText(r.values), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case 'Equals':
    case 'DoubleEquals':
    case 'NotEquals':
      if (n !== 1) errs.push(invalid('values', valuesText(r.values), 'exact-match compatibility requires one single value'));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (n !== 0) errs.push(invalid('values', valuesText(r.values), 'values set must be empty for exists and does not exist'));
      break;
    case 'GreaterThan':
    case 'LessThan':
      if (n !== 1) errs.push(invalid('values', valuesText(r.values), "for 'Gt', 'Lt' operators, exactly one value is required"));
      r.values.forEach((v, i) => {
        if (parseInt64(v) === undefined)
          errs.push(invalid(`values[${i}]`, goQuote(v), "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  r.values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length) errs.push(invalid(`values[${i}][${r.key}]`, goQuote(v), valueErrs.join('; ')));
  });
  return errs;
}

const META_OPERATORS: Record<string, Operator> = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' };

/**
 * The selector a metav1.LabelSelector (a Deployment's `spec.selector`, ...) describes, as kube's
 * LabelSelectorAsSelector: null/undefined selects nothing, `{}` selects everything, matchLabels are `=` terms and
 * matchExpressions use In, NotIn, Exists and DoesNotExist. Invalid selectors throw a 400 with kube's wording.
 */
export function labelSelectorFromMeta(sel: MetaLabelSelector | undefined | null): LabelSelector {
  if (sel === undefined || sel === null) return NOTHING;
  const reqs: Requirement[] = [];
  const add = (r: Requirement): void => {
    const errs = requirementErrors(r, 'key');
    if (errs.length) throw badRequest(aggregate(errs));
    reqs.push(r);
  };
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) add({ key, operator: 'Equals', values: [value] });
  for (const expr of sel.matchExpressions ?? []) {
    const operator = Object.hasOwn(META_OPERATORS, expr.operator) ? META_OPERATORS[expr.operator] : undefined;
    if (!operator) throw badRequest(`${goQuote(expr.operator)} is not a valid label selector operator`);
    add({ key: expr.key, operator, values: [...(expr.values ?? [])] });
  }
  return reqs.length === 0 ? EVERYTHING : new RequirementsSelector(sortedByKey(reqs));
}

// ---- The string syntax: a lexer and a recursive-descent parser shaped like kube's, so errors match. ----

type Token =
  | 'EndOfString' | 'Identifier' | 'OpenPar' | 'ClosedPar' | 'Comma' | 'DoesNotExist'
  | 'Equals' | 'DoubleEquals' | 'NotEquals' | 'In' | 'NotIn' | 'GreaterThan' | 'LessThan';

interface Item {
  tok: Token;
  lit: string;
}

const LITERAL_TOKENS: ReadonlyMap<string, Token> = new Map<string, Token>([
  ...[['(', 'OpenPar'], [')', 'ClosedPar'], [',', 'Comma'], ['!', 'DoesNotExist']] as const,
  ...[['=', 'Equals'], ['==', 'DoubleEquals'], ['!=', 'NotEquals'], ['>', 'GreaterThan'], ['<', 'LessThan']] as const,
  ...[['in', 'In'], ['notin', 'NotIn']] as const,
]);

/** The tokens that may follow a key, as the operators they are. */
const BINARY_OPERATORS: Partial<Record<Token, Operator>> = {
  ...{ In: 'In', NotIn: 'NotIn', Equals: 'Equals', DoubleEquals: 'DoubleEquals', NotEquals: 'NotEquals' },
  ...{ GreaterThan: 'GreaterThan', LessThan: 'LessThan' },
};

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && WHITESPACE.has(s[pos]!)) pos++;
    if (pos >= s.length) {
      items.push({ tok: 'EndOfString', lit: '' });
      return items;
    }
    if (SPECIAL.has(s[pos]!)) {
      // The longest run of symbols that is still an operator: `!=` rather than `!` then `=`.
      let best: Item | undefined;
      let buf = '';
      while (pos < s.length && SPECIAL.has(s[pos]!)) {
        const tok = LITERAL_TOKENS.get(buf + s[pos]!);
        if (!tok && best) break;
        buf += s[pos++]!;
        if (tok) best = { tok, lit: buf };
      }
      // Every single symbol is a token, so `best` is always set once one symbol was read.
      items.push(best!);
      continue;
    }
    const start = pos;
    while (pos < s.length && !SPECIAL.has(s[pos]!) && !WHITESPACE.has(s[pos]!)) pos++;
    const word = s.slice(start, pos);
    items.push({ tok: LITERAL_TOKENS.get(word) ?? 'Identifier', lit: word });
  }
}

/** Where a token is read: in values, `in` and `notin` are ordinary words (`x in (in)` is valid). */
type Context = 'KeyAndOperator' | 'Values';

class Parser {
  private position = 0;
  constructor(private readonly items: Item[]) {}

  private lookahead(ctx: Context): Item {
    return this.asIn(this.items[this.position]!, ctx);
  }

  private consume(ctx: Context): Item {
    return this.asIn(this.items[this.position++]!, ctx);
  }

  private asIn(item: Item, ctx: Context): Item {
    return ctx === 'Values' && (item.tok === 'In' || item.tok === 'NotIn') ? { tok: 'Identifier', lit: item.lit } : item;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead('Values');
      if (tok === 'EndOfString') return reqs;
      if (tok !== 'Identifier' && tok !== 'DoesNotExist')
        throw new Error(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.parseRequirement());
      } catch (err) {
        throw new Error(`unable to parse requirement: ${(err as Error).message}`);
      }
      const next = this.consume('Values');
      if (next.tok === 'EndOfString') return reqs;
      if (next.tok !== 'Comma') throw new Error(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.lookahead('Values');
      if (after.tok !== 'Identifier' && after.tok !== 'DoesNotExist')
        throw new Error(`found '${after.lit}', expected: identifier after ','`);
    }
  }

  private parseRequirement(): Requirement {
    let { tok, lit } = this.consume('Values');
    let operator: Operator | undefined;
    if (tok === 'DoesNotExist') {
      operator = 'DoesNotExist';
      ({ tok, lit } = this.consume('Values'));
    }
    if (tok !== 'Identifier') throw new Error(`found '${lit}', expected: identifier`);
    const key = lit;
    // kube parses without a field path, so a bad key is reported at `<nil>`.
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(invalid('<nil>', goQuote(key), keyErrs.join('; ')));
    const next = this.lookahead('Values').tok;
    if (operator === undefined && (next === 'EndOfString' || next === 'Comma')) operator = 'Exists';
    // A `!key` is complete on its own; anything after it is the caller's syntax error to report.
    if (operator === 'Exists' || operator === 'DoesNotExist') return this.checked({ key, operator, values: [] });

    operator = this.parseOperator();
    const values = operator === 'In' || operator === 'NotIn' ? this.parseValues() : this.parseExactValue();
    // Values form a set, kept sorted, as kube's sets.String.List() yields them.
    return this.checked({ key, operator, values: [...values].sort() });
  }

  private checked(r: Requirement): Requirement {
    const errs = requirementErrors(r);
    if (errs.length) throw new Error(aggregate(errs));
    return r;
  }

  private parseOperator(): Operator {
    const { tok, lit } = this.consume('KeyAndOperator');
    const op = BINARY_OPERATORS[tok];
    if (!op) throw new Error(`found '${lit}', expected: in, notin, =, ==, !=, gt, lt`);
    return op;
  }

  /** `(a,b)`; empty entries (`()`, `(a,)`, `(,b)`) stand for the empty value, as in kube. */
  private parseValues(): Set<string> {
    const open = this.consume('Values');
    if (open.tok !== 'OpenPar') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead('Values');
    if (tok === 'ClosedPar') {
      this.consume('Values');
      return new Set(['']);
    }
    if (tok !== 'Identifier' && tok !== 'Comma') throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.parseIdentifiersList();
    if (this.consume('Values').tok !== 'ClosedPar') throw new Error(`found '${lit}', expected: ')'`);
    return values;
  }

  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume('Values');
      if (tok === 'Identifier') {
        values.add(lit);
        const next = this.lookahead('Values');
        if (next.tok === 'ClosedPar') return values;
        if (next.tok !== 'Comma') throw new Error(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === 'Comma') {
        if (values.size === 0) values.add(''); // a leading comma: `(,b)`
        const next = this.lookahead('Values').tok;
        if (next === 'ClosedPar') {
          values.add(''); // a trailing comma: `(a,)`
          return values;
        }
        if (next === 'Comma') values.add(''); // two commas in a row: `(a,,b)`
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  /** The one value of `=`, `==`, `!=`, `>` or `<`; nothing before `,` or the end means the empty value. */
  private parseExactValue(): Set<string> {
    const ahead = this.lookahead('Values').tok;
    if (ahead === 'EndOfString' || ahead === 'Comma') return new Set(['']);
    const { tok, lit } = this.consume('Values');
    if (tok === 'Identifier') return new Set([lit]);
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/**
 * Parses the string form of a label selector, as kube's labels.Parse:
 *
 *     <selector>    ::= <requirement> | <requirement> "," <selector>
 *     <requirement> ::= [!] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=" | ">" | "<") VALUE ]
 *
 * Whitespace between tokens is ignored; the empty string selects everything. Keys must be qualified names and
 * values label values. Invalid input throws a 400 (BadRequest) with kube-apiserver's message.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  let reqs: Requirement[];
  try {
    reqs = new Parser(lex(selector)).parse();
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return reqs.length === 0 ? EVERYTHING : new RequirementsSelector(sortedByKey(reqs));
}
