import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  everything,
  labelSelectorFromMeta,
  nothing,
  parseLabelSelector,
  selectorFromSet,
} from '../../src/apimachinery/labels.js';
import { StatusError } from '../../src/apimachinery/status.js';

/** Asserts that parsing `selector` fails with a 400 whose message is exactly `message`. */
function rejects(selector: string, message: string): void {
  assert.throws(
    () => parseLabelSelector(selector),
    (err: unknown) => {
      assert.ok(err instanceof StatusError);
      assert.equal(err.code, 400);
      assert.equal(err.reason, 'BadRequest');
      assert.equal(err.message, message);
      return true;
    },
    selector,
  );
}

const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

test('parses every operator into sorted requirements', () => {
  const s = parseLabelSelector('z=1,y==2,x!=3,w in (b,a),v notin (c),u,!t,s>5,r<7');
  assert.deepEqual(s.requirements, [
    { key: 'r', operator: 'LessThan', values: ['7'] },
    { key: 's', operator: 'GreaterThan', values: ['5'] },
    { key: 't', operator: 'DoesNotExist', values: [] },
    { key: 'u', operator: 'Exists', values: [] },
    { key: 'v', operator: 'NotIn', values: ['c'] },
    { key: 'w', operator: 'In', values: ['a', 'b'] },
    { key: 'x', operator: 'NotEquals', values: ['3'] },
    { key: 'y', operator: 'DoubleEquals', values: ['2'] },
    { key: 'z', operator: 'Equals', values: ['1'] },
  ]);
  assert.equal(s.toString(), 'r<7,s>5,!t,u,v notin (c),w in (a,b),x!=3,y==2,z=1');
  assert.equal(s.empty(), false);
});

test('whitespace is tolerated between tokens; the empty selector matches everything', () => {
  const s = parseLabelSelector('  app = web ,\ttier in ( a , b ) ,\n! canary ');
  assert.equal(s.toString(), 'app=web,!canary,tier in (a,b)');
  for (const empty of ['', '   ']) {
    const e = parseLabelSelector(empty);
    assert.equal(e.empty(), true);
    assert.equal(e.toString(), '');
    assert.equal(e.matches(undefined), true);
    assert.equal(e.matches({ a: 'b' }), true);
  }
});

test('prefixed keys, empty values and keyword-named values', () => {
  assert.deepEqual(parseLabelSelector('example.com/app=web').requirements, [
    { key: 'example.com/app', operator: 'Equals', values: ['web'] },
  ]);
  assert.deepEqual(parseLabelSelector('a=,b!=').requirements, [
    { key: 'a', operator: 'Equals', values: [''] },
    { key: 'b', operator: 'NotEquals', values: [''] },
  ]);
  // `()`, `(,x)`, `(x,)` and `(x,,y)` carry the empty value; duplicates collapse.
  assert.deepEqual(parseLabelSelector('a in ()').requirements[0]!.values, ['']);
  assert.deepEqual(parseLabelSelector('a in (,x)').requirements[0]!.values, ['', 'x']);
  assert.deepEqual(parseLabelSelector('a in (x,)').requirements[0]!.values, ['', 'x']);
  assert.deepEqual(parseLabelSelector('a in (x,,y,x)').requirements[0]!.values, ['', 'x', 'y']);
  // `in` and `notin` are plain words where a key or value is expected.
  assert.deepEqual(parseLabelSelector('in in (in,notin),notin=in').requirements, [
    { key: 'in', operator: 'In', values: ['in', 'notin'] },
    { key: 'notin', operator: 'Equals', values: ['in'] },
  ]);
});

test('matching follows Kubernetes: NotIn and != match absent keys, In and = need them', () => {
  const labels = { app: 'web', tier: 'frontend', replicas: '3' };
  const cases: Array<[string, boolean, boolean]> = [
    // selector, matches labels, matches {}
    ['app=web', true, false],
    ['app==web', true, false],
    ['app=db', false, false],
    ['app!=db', true, true],
    ['app!=web', false, true],
    ['missing!=x', true, true],
    ['app in (web,db)', true, false],
    ['app in (db)', false, false],
    ['app notin (db)', true, true],
    ['app notin (web)', false, true],
    ['missing notin (x)', true, true],
    ['app', true, false],
    ['!app', false, true],
    ['!missing', true, true],
    ['replicas>2', true, false],
    ['replicas>3', false, false],
    ['replicas<4', true, false],
    ['replicas<0', false, false],
    ['app>1', false, false], // not an integer: never matches
    ['missing<10', false, false],
    ['app=web,tier=frontend', true, false],
    ['app=web,tier=backend', false, false],
    ['missing=', false, false], // = with the empty value still needs the key
    ['missing in ()', false, false],
  ];
  for (const [sel, withLabels, withNone] of cases) {
    const s = parseLabelSelector(sel);
    assert.equal(s.matches(labels), withLabels, `${sel} on labels`);
    assert.equal(s.matches({}), withNone, `${sel} on {}`);
    assert.equal(s.matches(undefined), withNone, `${sel} on undefined`);
  }
  assert.equal(parseLabelSelector('a=').matches({ a: '' }), true);
  // Integer comparison is exact beyond 2^53.
  assert.equal(parseLabelSelector('n>9007199254740992').matches({ n: '9007199254740993' }), true);
  // Label values cannot be negative, but integers in labels being compared can be anything ParseInt takes.
  assert.equal(parseLabelSelector('n<0').matches({ n: '-6' }), true);
  assert.equal(parseLabelSelector('n<10').matches({ n: '+5' }), true);
  assert.equal(parseLabelSelector('n<10').matches({ n: '1e3' }), false);
  // Object prototype keys are not labels.
  assert.equal(parseLabelSelector('toString').matches({}), false);
});

test('requiresExactMatch reports the value an =, == or one-value in demands', () => {
  const s = parseLabelSelector('a=1,b==2,c in (3),d in (4,5),e!=6,f');
  assert.equal(s.requiresExactMatch('a'), '1');
  assert.equal(s.requiresExactMatch('b'), '2');
  assert.equal(s.requiresExactMatch('c'), '3');
  assert.equal(s.requiresExactMatch('d'), undefined);
  assert.equal(s.requiresExactMatch('e'), undefined);
  assert.equal(s.requiresExactMatch('f'), undefined);
  assert.equal(s.requiresExactMatch('zz'), undefined);
});

test('syntax errors are worded as kube-apiserver words them', () => {
  rejects('a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  rejects('a in b', "unable to parse requirement: found 'b' expected: '('");
  rejects('a in (b', "unable to parse requirement: found '', expected: ',' or ')'");
  rejects('a in (b,', "unable to parse requirement: found '', expected: ',', or identifier");
  rejects('a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  rejects('a>=1', "unable to parse requirement: found '=', expected: identifier");
  rejects('a=(b)', "unable to parse requirement: found '(', expected: identifier");
  rejects('!', "unable to parse requirement: found '', expected: identifier");
  rejects('!=a', "found '!=', expected: !, identifier, or 'end of string'");
  rejects(',a', "found ',', expected: !, identifier, or 'end of string'");
  rejects('a,', "found '', expected: identifier after ','");
  rejects('a,,b', "found ',', expected: identifier after ','");
  rejects('a=b c', "found 'c', expected: ',' or 'end of string'");
  rejects('!a=b', "found '=', expected: ',' or 'end of string'");
  rejects('a=b)', "found ')', expected: ',' or 'end of string'");
});

test('invalid keys and values are reported with kube field paths', () => {
  rejects('app:monolith', `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${NAME_PART_MSG}`);
  rejects('!-a', `unable to parse requirement: <nil>: Invalid value: "-a": ${NAME_PART_MSG}`);
  rejects(
    'Bad.Prefix/a=b',
    "unable to parse requirement: <nil>: Invalid value: \"Bad.Prefix/a\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  );
  rejects(`${'k'.repeat(64)}`, `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`);
  rejects('a=b/c', `unable to parse requirement: values[0][a]: Invalid value: "b/c": ${LABEL_VALUE_MSG}`);
  rejects('a in (ok,-bad)', `unable to parse requirement: values[0][a]: Invalid value: "-bad": ${LABEL_VALUE_MSG}`);
  rejects(
    `a=${'v'.repeat(64)}`,
    `unable to parse requirement: values[0][a]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
  );
  rejects('a>x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer");
  rejects('a<', "unable to parse requirement: values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer");
  // Several problems with one requirement aggregate in brackets, as kube's utilerrors does.
  rejects(
    'a>1.5_',
    `unable to parse requirement: [values[0]: Invalid value: "1.5_": for 'Gt', 'Lt' operators, the value must be an integer, values[0][a]: Invalid value: "1.5_": ${LABEL_VALUE_MSG}]`,
  );
});

test('labelSelectorFromMeta: null selects nothing, {} selects everything', () => {
  for (const none of [undefined, null]) {
    const s = labelSelectorFromMeta(none);
    assert.equal(s.matches({}), false);
    assert.equal(s.matches({ a: 'b' }), false);
    assert.equal(s.empty(), false);
    assert.equal(s.toString(), '');
  }
  for (const all of [{}, { matchLabels: {}, matchExpressions: [] }]) {
    const s = labelSelectorFromMeta(all);
    assert.equal(s.empty(), true);
    assert.equal(s.matches({}), true);
    assert.equal(s.matches(undefined), true);
  }
  assert.equal(nothing().matches({}), false);
  assert.equal(everything().matches({}), true);
});

test('labelSelectorFromMeta: matchLabels and matchExpressions are ANDed', () => {
  const s = labelSelectorFromMeta({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'team', operator: 'Exists' },
      { key: 'canary', operator: 'DoesNotExist', values: [] },
    ],
  });
  assert.equal(s.toString(), 'app=web,!canary,env notin (dev),team,tier in (edge,frontend)');
  assert.equal(s.matches({ app: 'web', tier: 'edge', team: 'a' }), true);
  assert.equal(s.matches({ app: 'web', tier: 'edge', team: 'a', env: 'prod' }), true);
  assert.equal(s.matches({ app: 'web', tier: 'edge', team: 'a', env: 'dev' }), false);
  assert.equal(s.matches({ app: 'web', tier: 'edge', team: 'a', canary: '' }), false);
  assert.equal(s.matches({ app: 'web', tier: 'backend', team: 'a' }), false);
  assert.equal(s.matches({ app: 'web', tier: 'edge' }), false);
  assert.equal(s.matches({ tier: 'edge', team: 'a' }), false);
  // The string form parses back to the same selector.
  assert.deepEqual(parseLabelSelector(s.toString()).requirements, s.requirements.map((r) => ({ ...r, values: [...r.values].sort() })));
});

test('labelSelectorFromMeta rejects invalid selectors with kube wording', () => {
  const bad = (sel: Parameters<typeof labelSelectorFromMeta>[0], message: string): void =>
    assert.throws(
      () => labelSelectorFromMeta(sel),
      (err: unknown) => err instanceof StatusError && err.code === 400 && err.message === message,
    );
  bad({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, '"Gt" is not a valid label selector operator');
  for (const values of [[], undefined])
    bad({ matchExpressions: [{ key: 'a', operator: 'In', values }] }, "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty");
  bad(
    { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
    'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist',
  );
  bad({ matchLabels: { 'bad key': 'v' } }, `key: Invalid value: "bad key": ${NAME_PART_MSG}`);
  bad({ matchLabels: { k: 'bad value' } }, `values[0][k]: Invalid value: "bad value": ${LABEL_VALUE_MSG}`);
});

test('selectorFromSet selects objects carrying every label of the set', () => {
  const s = selectorFromSet({ b: '2', a: '1' });
  assert.equal(s.toString(), 'a=1,b=2');
  assert.equal(s.matches({ a: '1', b: '2', c: '3' }), true);
  assert.equal(s.matches({ a: '1' }), false);
  assert.equal(selectorFromSet({}).empty(), true);
  assert.equal(selectorFromSet(undefined).matches({ x: 'y' }), true);
});
