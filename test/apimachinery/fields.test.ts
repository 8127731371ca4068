import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkFieldLabels,
  escapeFieldValue,
  everythingFields,
  fieldSelectorFromSet,
  parseFieldSelector,
} from '../../src/apimachinery/fields.js';
import { StatusError } from '../../src/apimachinery/status.js';

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    assert.equal(err.message, message);
    return true;
  });
}

test('parses =, == and != terms, sorted, == normalised to =', () => {
  const s = parseFieldSelector('status.phase!=Failed,spec.nodeName==node-1,metadata.name=web');
  assert.deepEqual(s.requirements, [
    { field: 'metadata.name', operator: '=', value: 'web' },
    { field: 'spec.nodeName', operator: '=', value: 'node-1' },
    { field: 'status.phase', operator: '!=', value: 'Failed' },
  ]);
  assert.equal(s.toString(), 'metadata.name=web,spec.nodeName=node-1,status.phase!=Failed');
  assert.equal(s.empty(), false);
});

test('the empty selector and empty terms select everything', () => {
  for (const sel of ['', ',', ',,']) {
    const s = parseFieldSelector(sel);
    assert.equal(s.empty(), true, sel);
    assert.equal(s.matches({ a: 'b' }), true);
    assert.equal(s.toString(), '');
  }
  assert.equal(parseFieldSelector('a=b,,').requirements.length, 1);
  assert.equal(everythingFields().empty(), true);
});

test('matching: absent fields read as the empty string', () => {
  const fields = { 'metadata.name': 'web', 'spec.nodeName': '' };
  assert.equal(parseFieldSelector('metadata.name=web').matches(fields), true);
  assert.equal(parseFieldSelector('metadata.name=db').matches(fields), false);
  assert.equal(parseFieldSelector('metadata.name!=db').matches(fields), true);
  assert.equal(parseFieldSelector('metadata.name!=web').matches(fields), false);
  // Unscheduled pods: spec.nodeName= selects them, spec.nodeName!= the scheduled ones.
  assert.equal(parseFieldSelector('spec.nodeName=').matches(fields), true);
  assert.equal(parseFieldSelector('spec.nodeName!=').matches(fields), false);
  assert.equal(parseFieldSelector('status.phase=').matches(fields), true);
  assert.equal(parseFieldSelector('status.phase!=Running').matches(fields), true);
  assert.equal(parseFieldSelector('metadata.name=web,spec.nodeName=n1').matches(fields), false);
  assert.equal(parseFieldSelector('toString=').matches({}), true);
});

test('backslash escapes \\, \\= and \\\\ in values, and the string form re-escapes them', () => {
  const s = parseFieldSelector('a=x\\,y\\=z\\\\,b=plain');
  assert.deepEqual(s.requirements, [
    { field: 'a', operator: '=', value: 'x,y=z\\' },
    { field: 'b', operator: '=', value: 'plain' },
  ]);
  assert.equal(s.toString(), 'a=x\\,y\\=z\\\\,b=plain');
  assert.deepEqual(parseFieldSelector(s.toString()).requirements, s.requirements);
  assert.equal(escapeFieldValue('a,b=c\\'), 'a\\,b\\=c\\\\');
  assert.equal(s.matches({ a: 'x,y=z\\', b: 'plain' }), true);
});

test('the first operator splits a term; the field is taken verbatim', () => {
  assert.deepEqual(parseFieldSelector('a==b').requirements, [{ field: 'a', operator: '=', value: 'b' }]);
  assert.deepEqual(parseFieldSelector(' a = b').requirements, [{ field: ' a ', operator: '=', value: ' b' }]);
  assert.deepEqual(parseFieldSelector('=b').requirements, [{ field: '', operator: '=', value: 'b' }]);
  assert.deepEqual(parseFieldSelector('a!=\\=').requirements, [{ field: 'a', operator: '!=', value: '=' }]);
});

test('invalid selectors are worded as kube-apiserver words them', () => {
  rejects(() => parseFieldSelector('x'), "invalid selector: 'x'; can't understand 'x'");
  rejects(() => parseFieldSelector('a=b,c'), "invalid selector: 'a=b,c'; can't understand 'c'");
  rejects(() => parseFieldSelector('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  rejects(() => parseFieldSelector('a===b'), 'invalid field selector: unescaped character in value: 61');
  rejects(() => parseFieldSelector('a=b\\n'), 'invalid field selector: invalid escape sequence: \\n');
  rejects(() => parseFieldSelector('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
});

test('requiresExactMatch returns the value of an = term only', () => {
  const s = parseFieldSelector('spec.nodeName=n1,status.phase!=Failed,metadata.name==web');
  assert.equal(s.requiresExactMatch('spec.nodeName'), 'n1');
  assert.equal(s.requiresExactMatch('metadata.name'), 'web');
  assert.equal(s.requiresExactMatch('status.phase'), undefined);
  assert.equal(s.requiresExactMatch('metadata.namespace'), undefined);
  assert.equal(parseFieldSelector('').requiresExactMatch('a'), undefined);
  assert.equal(parseFieldSelector('a=').requiresExactMatch('a'), '');
});

test('checkFieldLabels rejects fields the resource cannot be selected by', () => {
  const supported = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName']);
  checkFieldLabels(parseFieldSelector('metadata.name=a,spec.nodeName!=b'), supported);
  checkFieldLabels(parseFieldSelector(''), supported);
  rejects(() => checkFieldLabels(parseFieldSelector('metadata.name=a,spec.foo=b'), supported), 'field label not supported: spec.foo');
});

test('fieldSelectorFromSet requires every field to equal its value', () => {
  const s = fieldSelectorFromSet({ 'spec.nodeName': 'n1', 'metadata.name': 'a,b' });
  assert.equal(s.matches({ 'spec.nodeName': 'n1', 'metadata.name': 'a,b' }), true);
  assert.equal(s.matches({ 'spec.nodeName': 'n1' }), false);
  assert.equal(s.requiresExactMatch('metadata.name'), 'a,b');
  assert.equal(fieldSelectorFromSet({}).empty(), true);
});
