import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  generateName,
  goQuote,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  MAX_GENERATED_NAME_LENGTH,
  validateObjectMeta,
} from '../../src/apimachinery/names.js';
import { invalid } from '../../src/apimachinery/status.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

test('DNS-1123 subdomains: valid names, kube wording for invalid ones, 253-character limit', () => {
  for (const ok of ['a', 'web', 'my-app.example.com', '0', 'a-b.c-d', 'x'.repeat(253)]) assert.deepEqual(isDNS1123Subdomain(ok), [], ok);
  for (const bad of ['', 'Web', '-a', 'a-', 'a..b', 'a_b', '.a', 'a.', 'ä']) assert.deepEqual(isDNS1123Subdomain(bad), [SUBDOMAIN_MSG], bad);
  assert.deepEqual(isDNS1123Subdomain('x'.repeat(254)), ['must be no more than 253 characters']);
  assert.deepEqual(isDNS1123Subdomain(`${'x'.repeat(254)}-`), ['must be no more than 253 characters', SUBDOMAIN_MSG]);
});

test('DNS-1123 labels: dots get their own message, 63-character limit', () => {
  for (const ok of ['a', 'kube-system', '123-abc', 'x'.repeat(63)]) assert.deepEqual(isDNS1123Label(ok), [], ok);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('Default'), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label(''), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label('x'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1035Label('my-svc'), []);
  assert.equal(isDNS1035Label('1svc').length, 1);
  assert.match(isDNS1035Label('1svc')[0]!, /^a DNS-1035 label must consist of/);
});

test('qualified names: optional DNS prefix, name part rules, empty parts, too many slashes', () => {
  for (const ok of ['app', 'App_1.x', 'example.com/MyName', 'k8s.io/x', 'a/b', 'x'.repeat(63)]) assert.deepEqual(isQualifiedName(ok), [], ok);
  assert.deepEqual(isQualifiedName(''), ['name part must be non-empty', NAME_PART_MSG]);
  assert.deepEqual(isQualifiedName('/a'), ['prefix part must be non-empty']);
  assert.deepEqual(isQualifiedName('a/'), ['name part must be non-empty', NAME_PART_MSG]);
  assert.deepEqual(isQualifiedName('Example.com/a'), [`prefix part ${SUBDOMAIN_MSG}`]);
  assert.deepEqual(isQualifiedName('-a'), [NAME_PART_MSG]);
  assert.deepEqual(isQualifiedName('x'.repeat(64)), ['name part must be no more than 63 characters']);
  assert.deepEqual(isQualifiedName('a/b/c'), [
    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  ]);
});

test('label values: empty allowed, 63 bytes, kube wording', () => {
  for (const ok of ['', 'v1', 'My_Value-1.0', 'x'.repeat(63)]) assert.deepEqual(isValidLabelValue(ok), [], ok);
  assert.deepEqual(isValidLabelValue('a b'), [LABEL_VALUE_MSG]);
  assert.deepEqual(isValidLabelValue('_a'), [LABEL_VALUE_MSG]);
  assert.deepEqual(isValidLabelValue('x'.repeat(64)), ['must be no more than 63 characters']);
});

test('path segment names', () => {
  assert.deepEqual(isValidPathSegmentName('ok-name'), []);
  assert.deepEqual(isValidPathSegmentName(''), []);
  assert.deepEqual(isValidPathSegmentName('.'), ["may not be '.'"]);
  assert.deepEqual(isValidPathSegmentName('..'), ["may not be '..'"]);
  assert.deepEqual(isValidPathSegmentName('a/b%c'), ["may not contain '/'", "may not contain '%'"]);
  assert.deepEqual(isValidPathSegmentName('...'), []);
});

test('goQuote quotes as Go %q', () => {
  assert.equal(goQuote('a b'), '"a b"');
  assert.equal(goQuote('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assert.equal(goQuote('a\nb\tc\x00'), '"a\\nb\\tc\\x00"');
  assert.equal(goQuote('héllo'), '"héllo"');
});

test('validateObjectMeta: a valid namespaced object has no causes', () => {
  const causes = validateObjectMeta(
    { name: 'web', namespace: 'default', labels: { app: 'web', 'example.com/tier': '' }, annotations: { 'Example.com/Note': 'x' } },
    { namespaced: true },
  );
  assert.deepEqual(causes, []);
  assert.deepEqual(validateObjectMeta({ name: 'node-1' }, { namespaced: false }), []);
});

test('validateObjectMeta: name or generateName is required, names follow the name rule', () => {
  assert.deepEqual(validateObjectMeta({ namespace: 'default' }, { namespaced: true }), [
    { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
  ]);
  assert.deepEqual(validateObjectMeta(undefined, { namespaced: false }), [
    { reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' },
  ]);
  assert.deepEqual(validateObjectMeta({ name: 'Web_1', namespace: 'default' }, { namespaced: true }), [
    { reason: 'FieldValueInvalid', message: `Invalid value: "Web_1": ${SUBDOMAIN_MSG}`, field: 'metadata.name' },
  ]);
  // A resource's own rule replaces the default.
  assert.deepEqual(validateObjectMeta({ name: 'a.b' }, { namespaced: false, nameValidator: isDNS1123Label }), [
    { reason: 'FieldValueInvalid', message: 'Invalid value: "a.b": must not contain dots', field: 'metadata.name' },
  ]);
  // generateName alone is fine (its trailing '-' is allowed), and is checked as a prefix.
  assert.deepEqual(validateObjectMeta({ generateName: 'web-', namespace: 'default' }, { namespaced: true }), []);
  assert.deepEqual(validateObjectMeta({ generateName: 'Web-', namespace: 'default' }, { namespaced: true }), [
    { reason: 'FieldValueInvalid', message: `Invalid value: "Web-": ${SUBDOMAIN_MSG}`, field: 'metadata.generateName' },
  ]);
});

test('validateObjectMeta: namespace required for namespaced kinds, forbidden for cluster-scoped ones', () => {
  assert.deepEqual(validateObjectMeta({ name: 'web' }, { namespaced: true }), [
    { reason: 'FieldValueRequired', message: 'Required value', field: 'metadata.namespace' },
  ]);
  assert.deepEqual(validateObjectMeta({ name: 'web', namespace: 'Bad.NS' }, { namespaced: true }), [
    { reason: 'FieldValueInvalid', message: `Invalid value: "Bad.NS": ${LABEL_MSG}`, field: 'metadata.namespace' },
  ]);
  assert.deepEqual(validateObjectMeta({ name: 'node-1', namespace: 'default' }, { namespaced: false }), [
    { reason: 'FieldValueForbidden', message: 'Forbidden: not allowed on this type', field: 'metadata.namespace' },
  ]);
});

test('validateObjectMeta: labels, annotations, generation and finalizers', () => {
  const causes = validateObjectMeta(
    {
      name: 'web',
      namespace: 'default',
      generation: -1,
      labels: { 'bad key': 'ok', good: 'bad value' },
      annotations: { 'a/b/c': 'x' },
      finalizers: ['example.com/cleanup', 'not valid'],
    },
    { namespaced: true },
  );
  assert.deepEqual(causes, [
    { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'metadata.generation' },
    { reason: 'FieldValueInvalid', message: `Invalid value: "bad key": ${NAME_PART_MSG}`, field: 'metadata.labels' },
    { reason: 'FieldValueInvalid', message: `Invalid value: "bad value": ${LABEL_VALUE_MSG}`, field: 'metadata.labels' },
    {
      reason: 'FieldValueInvalid',
      message: `Invalid value: "a/b/c": ${isQualifiedName('a/b/c')[0]}`,
      field: 'metadata.annotations',
    },
    { reason: 'FieldValueInvalid', message: `Invalid value: "not valid": ${NAME_PART_MSG}`, field: 'metadata.finalizers' },
  ]);
  assert.deepEqual(
    validateObjectMeta({ name: 'a', finalizers: ['orphan', 'foregroundDeletion'] }, { namespaced: false }),
    [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
        field: 'metadata.finalizers',
      },
    ],
  );
});

test('validateObjectMeta: annotations may total at most 256 KiB of keys and values', () => {
  const atLimit = { a: 'x'.repeat(262144 - 1) };
  assert.deepEqual(validateObjectMeta({ name: 'a', annotations: atLimit }, { namespaced: false }), []);
  // Bytes, not characters: 'é' is two bytes in UTF-8.
  const over = { a: 'é'.repeat(131072) };
  assert.deepEqual(validateObjectMeta({ name: 'a', annotations: over }, { namespaced: false }), [
    { reason: 'FieldValueTooLong', message: 'Too long: must have at most 262144 bytes', field: 'metadata.annotations' },
  ]);
});

test('validateObjectMeta: nested metadata paths, and the causes make a kube-worded 422', () => {
  const causes = validateObjectMeta({ labels: { app: '-' } }, { namespaced: false, path: 'spec.template.metadata' });
  assert.deepEqual(
    causes.map((c) => c.field),
    ['spec.template.metadata.name', 'spec.template.metadata.labels'],
  );
  const err = invalid('Pod', '', 'web', validateObjectMeta({ name: 'web' }, { namespaced: true }));
  assert.equal(err.code, 422);
  assert.equal(err.message, 'Pod "web" is invalid: metadata.namespace: Required value');
});

test('generateName appends 5 characters from kube\'s alphabet and keeps names within 63 characters', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const name = generateName('web-');
    assert.match(name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    seen.add(name);
  }
  assert.ok(seen.size > 190, 'suffixes are random');
  const long = generateName('x'.repeat(100));
  assert.equal(MAX_GENERATED_NAME_LENGTH, 58);
  assert.equal(long.length, 63);
  assert.ok(long.startsWith('x'.repeat(58)));
  assert.equal(generateName('').length, 5);
  assert.deepEqual(isDNS1123Label(generateName('a'.repeat(80))), []);
});
