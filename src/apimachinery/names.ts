/**
 * Name and metadata validation, as k8s.io/apimachinery/pkg/util/validation and pkg/api/validation word it.
 * Every message here is kube-apiserver's own, down to the double spaces in its examples, because kubectl users
 * and client tests match on them. Validators return a list of problems (empty means valid) rather than
 * throwing, so callers can collect every cause of a 422 at once.
 */
import { randomInt } from 'node:crypto';
import type { ObjectMeta, StatusCause } from 'kubernetes-types/meta/v1.js';

/** One cause of an Invalid (422) answer: a `StatusCause` with every field set, as kube's field.Error becomes. */
export type FieldError = Required<StatusCause>;

/** A name validator: the problems with `name`, none when it is valid. */
export type NameValidator = (name: string) => string[];

/** Go's `len` counts bytes, and kube's limits are in bytes, so lengths are measured in UTF-8. */
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** `must be no more than N characters` (kube's MaxLenError; it says characters but Go counts bytes). */
function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** kube's RegexError: the message, examples in quotes joined by ` or ` (hence the double spaces), the regex. */
function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

const EMPTY_ERROR = 'must be non-empty';

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${qualifiedNameFmt})?`;

const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const labelValueRe = new RegExp(`^${labelValueFmt}$`);

const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Longest DNS-1123 label (namespaces, most names that become DNS names). */
export const DNS1123_LABEL_MAX_LENGTH = 63;
/** Longest DNS-1123 subdomain (the default for object names). */
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
/** Longest label value, and longest name part of a qualified name. */
export const LABEL_VALUE_MAX_LENGTH = 63;
/** Most bytes all of an object's annotation keys and values may take together (256 KiB). */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;

/** A DNS (RFC 1123) label: lower-case alphanumerics and '-', at most 63 characters. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1123LabelRe.test(value)) {
    // A valid subdomain that is not a valid label can only be failing on its dots; say so plainly.
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          dns1123LabelFmt,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
}

/** A DNS (RFC 1123) subdomain: dot-separated labels, at most 253 characters. The default rule for names. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH));
  if (!dns1123SubdomainRe.test(value))
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFmt,
        'example.com',
      ),
    );
  return errs;
}

/** A DNS (RFC 1035) label: like RFC 1123 but starting with a letter (Service names). */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(value))
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFmt,
        'my-name',
        'abc-123',
      ),
    );
  return errs;
}

/**
 * A qualified name (label keys, annotation keys, finalizers): an optional DNS-subdomain prefix and '/', then a
 * name part of at most 63 alphanumerics, '-', '_' or '.'.
 */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`);
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`);
  else if (byteLength(name) > LABEL_VALUE_MAX_LENGTH) errs.push(`name part ${maxLenError(LABEL_VALUE_MAX_LENGTH)}`);
  if (!qualifiedNameRe.test(name))
    errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** A label value: empty, or at most 63 alphanumerics, '-', '_' or '.' starting and ending alphanumeric. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LABEL_VALUE_MAX_LENGTH) errs.push(maxLenError(LABEL_VALUE_MAX_LENGTH));
  if (!labelValueRe.test(value))
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFmt,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return errs;
}

/**
 * A name that can safely be one segment of a URL path or storage key. Like kube, it checks neither emptiness nor
 * length: those are the business of the resource's own name rule.
 */
export function isValidPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errs: string[] = [];
  if (value.includes('/')) errs.push("may not contain '/'");
  if (value.includes('%')) errs.push("may not contain '%'");
  return errs;
}

/**
 * Quotes a string as Go's `%q` does, so values in messages read exactly as kube-apiserver prints them
 * (`Invalid value: "a b"`).
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Go's `%#v` of a []string, as kube prints list values in Invalid causes. */
export function goStringSlice(values: readonly string[]): string {
  return `[]string{${values.map(goQuote).join(', ')}}`;
}

// The field.Error constructors kube uses, reduced to the StatusCause each becomes in an Invalid answer.
function invalidCause(field: string, value: string, detail: string): FieldError {
  return { reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${detail}`, field };
}

function requiredCause(field: string, detail: string): FieldError {
  return { reason: 'FieldValueRequired', message: detail ? `Required value: ${detail}` : 'Required value', field };
}

function forbiddenCause(field: string, detail: string): FieldError {
  return { reason: 'FieldValueForbidden', message: `Forbidden: ${detail}`, field };
}

function tooLongCause(field: string, maxBytes: number): FieldError {
  return { reason: 'FieldValueTooLong', message: `Too long: must have at most ${maxBytes} bytes`, field };
}

/**
 * kube validates a generateName by masking a trailing '-' (the usual `web-` prefix) before applying the name
 * rule, since the random suffix will follow it.
 */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** Options for {@link validateObjectMeta}. */
export interface ObjectMetaValidationOptions {
  /** Whether the resource lives in a namespace (namespace then required) or is cluster-scoped (forbidden). */
  namespaced: boolean;
  /** The resource's name rule; the default is a DNS-1123 subdomain, as for most kinds. */
  nameValidator?: NameValidator;
  /** Where the metadata sits in the object (`metadata` by default; `spec.template.metadata` for templates). */
  path?: string;
}

/**
 * Validates an object's metadata for creation, as kube's ValidateObjectMeta: name (or generateName), namespace
 * against the resource's scope, generation, labels, annotations (keys and total size) and finalizers. Returns
 * every problem as a StatusCause, in kube's order; none means valid.
 *
 * kube expects the name to be generated before validation; here a generateName with no name yet is accepted
 * (and validated as a prefix) so callers may validate before or after generating.
 */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaValidationOptions): FieldError[] {
  const m = meta ?? {};
  const path = opts.path ?? 'metadata';
  const nameFn = opts.nameValidator ?? isDNS1123Subdomain;
  const errs: FieldError[] = [];

  const name = m.name ?? '';
  const generateName = m.generateName ?? '';
  if (generateName)
    for (const msg of nameFn(maskTrailingDash(generateName)))
      errs.push(invalidCause(`${path}.generateName`, goQuote(generateName), msg));
  if (name) {
    for (const msg of nameFn(name)) errs.push(invalidCause(`${path}.name`, goQuote(name), msg));
  } else if (!generateName) {
    errs.push(requiredCause(`${path}.name`, 'name or generateName is required'));
  }

  const namespace = m.namespace ?? '';
  if (opts.namespaced) {
    if (!namespace) errs.push(requiredCause(`${path}.namespace`, ''));
    else for (const msg of isDNS1123Label(namespace)) errs.push(invalidCause(`${path}.namespace`, goQuote(namespace), msg));
  } else if (namespace) {
    errs.push(forbiddenCause(`${path}.namespace`, 'not allowed on this type'));
  }

  if (m.generation !== undefined && m.generation < 0)
    errs.push(invalidCause(`${path}.generation`, String(m.generation), 'must be greater than or equal to 0'));

  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
  return errs;
}

/** Label keys must be qualified names and values label values; kube reports both at the map's path. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(key)) errs.push(invalidCause(path, goQuote(key), msg));
    for (const msg of isValidLabelValue(value)) errs.push(invalidCause(path, goQuote(value), msg));
  }
  return errs;
}

/** Annotation keys are qualified names regardless of case; keys and values together stay under 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(invalidCause(path, goQuote(key), msg));
    total += byteLength(key) + byteLength(value);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(tooLongCause(path, TOTAL_ANNOTATION_SIZE_LIMIT_B));
  return errs;
}

function validateFinalizers(finalizers: string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = finalizers ?? [];
  for (const f of list) for (const msg of isQualifiedName(f)) errs.push(invalidCause(path, goQuote(f), msg));
  // Orphaning dependents and deleting them in the foreground are contradictory requests to the garbage collector.
  if (list.includes('orphan') && list.includes('foregroundDeletion'))
    errs.push(invalidCause(path, goStringSlice(list), 'finalizer orphan and foregroundDeletion cannot be both set'));
  return errs;
}

/** Longest name a generated name may have (a DNS label), and the length of the random suffix. */
const MAX_NAME_LENGTH = 63;
const RANDOM_LENGTH = 5;
/** The longest generateName prefix kept; longer ones are truncated so the result stays a valid label. */
export const MAX_GENERATED_NAME_LENGTH = MAX_NAME_LENGTH - RANDOM_LENGTH;
/** kube's alphabet for random suffixes: no vowels (no accidental words) and no look-alikes (0/o, 1/l, 3/e). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** A name from a generateName prefix: at most 58 characters of it plus 5 random characters, as kube does. */
export function generateName(base: string): string {
  const prefix = base.length > MAX_GENERATED_NAME_LENGTH ? base.slice(0, MAX_GENERATED_NAME_LENGTH) : base;
  let suffix = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) suffix += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return prefix + suffix;
}
