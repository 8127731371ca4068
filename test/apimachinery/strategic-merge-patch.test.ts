/**
 * Strategic merge patch, driven by the built-in types' schemas: the cases of Kubernetes' strategicpatch tests
 * that users meet through `kubectl apply` and `kubectl patch`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { schemaForObject } from '../../src/api/openapi/schema.js';
import { BUILTIN_RESOURCES } from '../../src/api/resources.js';
import { apiVersionOf } from '../../src/api/registry.js';
import { applyStrategicMergePatch } from '../../src/apimachinery/patch.js';

const podSchema = schemaForObject('v1', 'Pod');
const deploymentSchema = schemaForObject('apps/v1', 'Deployment');

function pod(spec: object, metadata: object = { name: 'p' }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

const patchPod = (doc: object, patch: object): Record<string, unknown> =>
  applyStrategicMergePatch(doc, patch, podSchema) as Record<string, unknown>;

describe('strategic merge patch', () => {
  test('every served kind has a schema', () => {
    const missing = BUILTIN_RESOURCES.filter((r) => !schemaForObject(apiVersionOf(r), r.kind)).map((r) => `${apiVersionOf(r)} ${r.kind}`);
    assert.deepEqual(missing, []);
  });

  test('containers merge by name; a new one is appended, an existing one merged field by field', () => {
    const doc = pod({ containers: [{ name: 'a', image: 'a:1', args: ['x'] }, { name: 'b', image: 'b:1' }] });
    const out = patchPod(doc, { spec: { containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] } });
    assert.deepEqual((out.spec as { containers: object[] }).containers, [
      { name: 'a', image: 'a:1', args: ['x'] },
      { name: 'b', image: 'b:2' },
      { name: 'c', image: 'c:1' },
    ]);
  });

  test('ports merge by containerPort, env by name; args (no strategy) are replaced', () => {
    const doc = pod({ containers: [{ name: 'a', args: ['1', '2'], ports: [{ containerPort: 80 }, { containerPort: 443 }], env: [{ name: 'A', value: '1' }] }] });
    const out = patchPod(doc, {
      spec: { containers: [{ name: 'a', args: ['3'], ports: [{ containerPort: 80, name: 'http' }], env: [{ name: 'B', value: '2' }] }] },
    });
    assert.deepEqual((out.spec as { containers: object[] }).containers[0], {
      name: 'a',
      args: ['3'],
      ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }],
      env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
    });
  });

  test('$patch: delete removes a keyed item; $patch: replace replaces a list or a map', () => {
    const doc = pod({ containers: [{ name: 'a' }, { name: 'b' }], nodeSelector: { disk: 'ssd', zone: 'a' } });
    const out = patchPod(doc, { spec: { containers: [{ name: 'a', $patch: 'delete' }], nodeSelector: { $patch: 'replace', zone: 'b' } } });
    assert.deepEqual(out.spec, { containers: [{ name: 'b' }], nodeSelector: { zone: 'b' } });
    const replaced = patchPod(doc, { spec: { containers: [{ name: 'z' }, { $patch: 'replace' }] } });
    assert.deepEqual((replaced.spec as { containers: object[] }).containers, [{ name: 'z' }]);
  });

  test('$setElementOrder orders the merged list; items only the server has keep their place', () => {
    const doc = pod({ containers: [{ name: 'a' }, { name: 'server' }, { name: 'b' }, { name: 'c' }] });
    const out = patchPod(doc, { spec: { containers: [{ name: 'b', image: 'b' }], '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }] } });
    assert.deepEqual(
      (out.spec as { containers: { name: string }[] }).containers.map((c) => c.name),
      ['c', 'server', 'b', 'a'],
    );
  });

  test('$deleteFromPrimitiveList and set-like lists of scalars (finalizers)', () => {
    const doc = pod({}, { name: 'p', finalizers: ['a', 'b'] });
    const merged = applyStrategicMergePatch(doc, { metadata: { finalizers: ['c', 'a'] } }, podSchema) as { metadata: { finalizers: string[] } };
    assert.deepEqual(merged.metadata.finalizers, ['a', 'b', 'c']);
    const deleted = applyStrategicMergePatch(doc, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, podSchema) as { metadata: { finalizers: string[] } };
    assert.deepEqual(deleted.metadata.finalizers, ['b']);
  });

  test('$retainKeys clears the other members of a union (a volume changing its source)', () => {
    const doc = pod({ volumes: [{ name: 'v', emptyDir: {} }] });
    const out = patchPod(doc, { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } });
    assert.deepEqual((out.spec as { volumes: object[] }).volumes, [{ name: 'v', configMap: { name: 'cm' } }]);
  });

  test('deployment strategy: $retainKeys drops rollingUpdate when switching to Recreate', () => {
    const doc = { apiVersion: 'apps/v1', kind: 'Deployment', spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } } } };
    const out = applyStrategicMergePatch(doc, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, deploymentSchema);
    assert.deepEqual((out as { spec: object }).spec, { strategy: { type: 'Recreate' } });
  });

  test('null deletes a field; a keyed item without its merge key is refused', () => {
    const doc = pod({ containers: [{ name: 'a', image: 'x', workingDir: '/w' }] });
    const out = patchPod(doc, { spec: { containers: [{ name: 'a', workingDir: null }] } });
    assert.deepEqual((out.spec as { containers: object[] }).containers, [{ name: 'a', image: 'x' }]);
    assert.throws(() => patchPod(doc, { spec: { containers: [{ image: 'y' }] } }), /does not contain declared merge key: name/);
  });

  test('without a schema, lists are replaced as in a JSON merge patch', () => {
    const out = applyStrategicMergePatch({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: 2 } });
    assert.deepEqual(out, { a: [3], b: { c: 1, d: 2 } });
  });
});
