import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTROLLERS, selectControllers } from '../../src/controllers/manager.js';

test('--controllers reads as kube-controller-manager reads it: *, foo, -foo', () => {
  const all = Object.keys(CONTROLLERS);
  assert.deepEqual(selectControllers(['*']), all);
  assert.deepEqual(selectControllers(['*', '-garbagecollector']), all.filter((n) => n !== 'garbagecollector'));
  assert.deepEqual(selectControllers(['namespace']), ['namespace']);
  assert.deepEqual(selectControllers(['namespace', '-namespace']), []);
  assert.throws(() => selectControllers(['*', '-nope']), /"nope" is not in the list of known controllers/);
});
