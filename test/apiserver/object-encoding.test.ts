/** The watch cache's JSON of a stored object: the stored bytes with the resourceVersion put in its metadata. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeForStorage, withResourceVersion } from '../../src/apiserver/registry/object.js';
import type { StoredObject } from '../../src/apiserver/registry/strategy.js';

test('the resourceVersion goes into the top-level metadata, whatever comes before it or looks like it', () => {
  const objects: StoredObject[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', labels: { metadata: '{"x":1}' } }, spec: { containers: [] } },
    // A template's metadata before the object's own, and strings with quotes, braces and escapes on the way.
    { spec: { template: { metadata: { name: 'inner' } }, note: 'say "metadata":{ \\ }' }, kind: 'X', metadata: { name: 'b' } } as StoredObject,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ü-unicode' }, data: { k: 'naïve ☃' } },
  ];
  for (const obj of objects) {
    const json = withResourceVersion(encodeForStorage(structuredClone(obj)), 42);
    assert.ok(json !== undefined);
    const back = JSON.parse(json.toString()) as StoredObject;
    assert.deepEqual(back, { ...obj, metadata: { ...obj.metadata, resourceVersion: '42' } });
  }
});

test('a value without top-level metadata is left to the caller', () => {
  assert.equal(withResourceVersion(Buffer.from('{"kind":"X","spec":{"metadata":{}}}'), 1), undefined);
  assert.equal(withResourceVersion(Buffer.from('[]'), 1), undefined);
});
