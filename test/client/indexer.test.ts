/** The informer store: keys, indexes by namespace / owner UID / custom functions, and listers. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Indexer, metaNamespaceKey, NAMESPACE_INDEX, OWNER_UID_INDEX, ownerUIDIndexFunc, splitMetaNamespaceKey } from '../../src/client/indexer.js';
import { Lister } from '../../src/client/lister.js';
import type { KubeObject } from '../../src/client/types.js';

function obj(namespace: string, name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { metadata: { ...(namespace ? { namespace } : {}), name, uid: `uid-${namespace}-${name}`, ...extra } };
}

const owner = (uid: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid });

describe('Indexer', () => {
  test('keys are namespace/name (name alone when cluster-scoped) and split back', () => {
    assert.equal(metaNamespaceKey(obj('a', 'x')), 'a/x');
    assert.equal(metaNamespaceKey(obj('', 'node-1')), 'node-1');
    assert.deepEqual(splitMetaNamespaceKey('a/x'), { namespace: 'a', name: 'x' });
    assert.deepEqual(splitMetaNamespaceKey('node-1'), { namespace: '', name: 'node-1' });
  });

  test('objects are filed by namespace, by owner UID and by custom indexes, and move when they change', () => {
    const idx = new Indexer<KubeObject>({
      [OWNER_UID_INDEX]: ownerUIDIndexFunc,
      byApp: (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []),
    });
    idx.upsert(obj('a', 'x', { ownerReferences: [owner('o1')], labels: { app: 'web' } }));
    idx.upsert(obj('a', 'y', { ownerReferences: [owner('o1'), owner('o2')] }));
    idx.upsert(obj('b', 'z', { labels: { app: 'web' } }));
    assert.deepEqual(idx.byIndex(NAMESPACE_INDEX, 'a').map((o) => o.metadata.name).sort(), ['x', 'y']);
    assert.deepEqual(idx.byIndex(OWNER_UID_INDEX, 'o1').map((o) => o.metadata.name).sort(), ['x', 'y']);
    assert.deepEqual(idx.indexKeys(OWNER_UID_INDEX, 'o2'), ['a/y']);
    assert.deepEqual(idx.byIndex('byApp', 'web').map(metaNamespaceKey).sort(), ['a/x', 'b/z']);
    // An update that drops an owner and a label leaves those index entries.
    const old = idx.upsert(obj('a', 'x', { ownerReferences: [owner('o2')] }));
    assert.equal(old?.metadata.labels?.app, 'web');
    assert.deepEqual(idx.indexKeys(OWNER_UID_INDEX, 'o1'), ['a/y']);
    assert.deepEqual(idx.indexKeys(OWNER_UID_INDEX, 'o2').sort(), ['a/x', 'a/y']);
    assert.deepEqual(idx.indexKeys('byApp', 'web'), ['b/z']);
    assert.equal(idx.delete('a/y')?.metadata.name, 'y');
    assert.deepEqual(idx.indexKeys(OWNER_UID_INDEX, 'o1'), []);
    assert.equal(idx.size, 2);
    assert.throws(() => idx.byIndex('nope', 'x'), /index nope does not exist/);
  });

  test('replace swaps the whole content; indexes added later cover objects already there', () => {
    const idx = new Indexer<KubeObject>();
    idx.upsert(obj('a', 'x'));
    idx.replace([obj('b', 'y'), obj('b', 'z', { ownerReferences: [owner('o')] })]);
    assert.deepEqual(idx.keys().sort(), ['b/y', 'b/z']);
    assert.deepEqual(idx.byIndex(NAMESPACE_INDEX, 'a'), []);
    idx.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc });
    assert.deepEqual(idx.indexKeys(OWNER_UID_INDEX, 'o'), ['b/z']);
  });

  test('listers select by label, across namespaces or in one', () => {
    const idx = new Indexer<KubeObject>();
    idx.upsert(obj('a', 'x', { labels: { app: 'web', tier: 'fe' } }));
    idx.upsert(obj('a', 'y', { labels: { app: 'db' } }));
    idx.upsert(obj('b', 'x', { labels: { app: 'web' } }));
    idx.upsert(obj('', 'cluster-wide'));
    const lister = new Lister(idx);
    assert.equal(lister.list().length, 4);
    assert.deepEqual(lister.list('app=web').map(metaNamespaceKey).sort(), ['a/x', 'b/x']);
    assert.deepEqual(lister.list('app in (web,db),!tier').map(metaNamespaceKey).sort(), ['a/y', 'b/x']);
    assert.deepEqual(lister.namespace('a').list('app=web').map(metaNamespaceKey), ['a/x']);
    assert.equal(lister.namespace('b').get('x')?.metadata.namespace, 'b');
    assert.equal(lister.namespace('b').get('y'), undefined);
    assert.equal(lister.get('cluster-wide')?.metadata.name, 'cluster-wide');
  });
});
