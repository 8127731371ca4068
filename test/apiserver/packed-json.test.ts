/** The watch cache's packed JSON: every object reads back exactly as written, whatever dictionary it was packed against. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JSONPacker } from '../../src/apiserver/registry/packed-json.js';

const attrs = (i: number) => ({ key: `/registry/core/pods/ns/pod-${i}`, namespace: 'ns', name: `pod-${i}`, revision: i, labels: { app: 'web' }, fields: { 'metadata.name': `pod-${i}` } });

/** A pod-like object of a few kilobytes whose own values (uid, IP, times, unicode note) change with `i`. */
function podJSON(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: 'ns', uid: `uid-${i * 7919}`, resourceVersion: String(i), annotations: { note: `naïve ☃ ${i}` } },
    spec: { containers: [{ name: 'app', image: `registry.local/app:${i % 3}`, args: Array.from({ length: 80 }, (_, j) => `--flag-${j}=${(i * j) % 97}`) }], nodeName: `node-${i % 50}` },
    status: { phase: i % 2 ? 'Running' : 'Pending', podIP: `10.0.${i % 250}.${i % 200}`, startTime: new Date(1_700_000_000_000 + i * 1000).toISOString() },
  });
}

test('objects read back as written across dictionary refreshes, and repeated objects pack small', () => {
  const packer = new JSONPacker();
  const written = new Map<number, ReturnType<JSONPacker['pack']>>();
  // More objects than one dictionary serves, so early objects keep dictionaries later ones no longer use.
  for (let i = 0; i < 10_000; i++) written.set(i, packer.pack(attrs(i), Buffer.from(podJSON(i))));
  let packedBytes = 0;
  let jsonBytes = 0;
  for (const [i, o] of written) {
    assert.equal(o.json, podJSON(i));
    assert.equal(o.name, `pod-${i}`);
    assert.equal(o.revision, i);
    assert.deepEqual(o.labels, { app: 'web' });
    jsonBytes += Buffer.byteLength(podJSON(i));
    packedBytes += Buffer.byteLength((o as unknown as { packed: string }).packed ?? '', 'latin1');
  }
  assert.ok(packedBytes > 0 && packedBytes < jsonBytes / 4, `packed ${packedBytes} of ${jsonBytes} bytes`);
});

test('small objects are kept as text', () => {
  const o = new JSONPacker().pack(attrs(1), Buffer.from('{"kind":"ConfigMap","metadata":{"name":"c"}}'));
  assert.equal(o.json, '{"kind":"ConfigMap","metadata":{"name":"c"}}');
  assert.equal(Object.getOwnPropertyDescriptor(o, 'json')?.value, '{"kind":"ConfigMap","metadata":{"name":"c"}}');
});
