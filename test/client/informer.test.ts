/**
 * Shared informers: against a real apiserver (initial list, events, lister, resync, one informer per resource
 * in a factory), and against a scripted server for the reflector's recovery (a 410 Gone watch re-lists and
 * turns the difference into events; a watch that ends resumes from the last resourceVersion, bookmarks included).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../src/api/resources.js';
import { Client } from '../../src/client/client.js';
import { inProcessTransport } from '../../src/client/in-process-transport.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { SharedInformer } from '../../src/client/informer.js';
import type { KubeObject } from '../../src/client/types.js';
import { until } from '../helpers/wait.js';
import { startAPIServer, type Harness } from './harness.js';

const CONFIGMAPS = BUILTIN_RESOURCES.find((r) => r.group === '' && r.resource === 'configmaps')!;
const NAMESPACES = BUILTIN_RESOURCES.find((r) => r.group === '' && r.resource === 'namespaces')!;

/** Records what a handler is told, as `type name[/detail]`. */
function recorder() {
  const events: string[] = [];
  return {
    events,
    handler: {
      onAdd: (o: KubeObject, initial: boolean) => events.push(`add ${o.metadata.name}${initial ? ' initial' : ''}`),
      onUpdate: (a: KubeObject, b: KubeObject) => events.push(`update ${b.metadata.name}${a === b ? ' resync' : ''}`),
      onDelete: (o: KubeObject, unknown: boolean) => events.push(`delete ${o.metadata.name}${unknown ? ' unknown' : ''}`),
    },
  };
}

describe('SharedInformer against the apiserver', () => {
  let h: Harness;
  before(async () => {
    h = await startAPIServer();
    await h.clients.inProcess.resource(NAMESPACES).create({ metadata: { name: 'inf' } });
  });
  after(async () => {
    await h?.stop();
  });

  test('lists, then delivers adds, updates and deletes in order; the lister follows', async () => {
    const cms = h.clients.inProcess.resource(CONFIGMAPS).namespace('inf');
    await cms.create({ metadata: { name: 'before' } });
    const informer = new SharedInformer(h.clients.inProcess.resource(CONFIGMAPS));
    const rec = recorder();
    informer.addEventHandler(rec.handler);
    informer.run();
    await informer.waitForSync();
    assert.ok(rec.events.includes('add before initial'));
    await cms.create({ metadata: { name: 'x' } });
    await cms.patch('x', 'merge', { data: { a: '1' } });
    await cms.delete('x');
    await until('the delete', () => rec.events.includes('delete x'));
    assert.deepEqual(rec.events.filter((e) => e.endsWith(' x')), ['add x', 'update x', 'delete x']);
    assert.deepEqual(informer.lister().namespace('inf').list().map((o) => o.metadata.name), ['before']);
    // A handler added late first gets what is there.
    const late = recorder();
    informer.addEventHandler(late.handler);
    assert.ok(late.events.includes('add before initial'));
    informer.stop();
  });

  test('objects come without managedFields unless the transform keeps them', async () => {
    const cms = h.clients.inProcess.resource(CONFIGMAPS).namespace('inf');
    const stored = await cms.create({ metadata: { name: 'owned' }, data: { k: 'v' } });
    assert.ok(stored.metadata.managedFields?.length, 'the server records managedFields');
    const stripped = new SharedInformer(h.clients.inProcess.resource(CONFIGMAPS));
    const kept = new SharedInformer(h.clients.inProcess.resource(CONFIGMAPS), { transform: (o) => o });
    stripped.run();
    kept.run();
    await Promise.all([stripped.waitForSync(), kept.waitForSync()]);
    assert.equal(stripped.lister().namespace('inf').get('owned')!.metadata.managedFields, undefined);
    assert.deepEqual(kept.lister().namespace('inf').get('owned')!.metadata.managedFields, stored.metadata.managedFields);
    stripped.stop();
    kept.stop();
  });

  test('a resync period re-delivers every object as an update', async () => {
    const informer = new SharedInformer(h.clients.inProcess.resource(CONFIGMAPS).namespace('inf'));
    const rec = recorder();
    informer.addEventHandler(rec.handler, 50);
    informer.run();
    await informer.waitForSync();
    await until('two resyncs', () => rec.events.filter((e) => e === 'update before resync').length >= 2);
    informer.stop();
  });

  test('the factory shares one informer per resource and selector', () => {
    const factory = new SharedInformerFactory(h.clients.inProcess);
    const a = factory.informerFor(CONFIGMAPS);
    assert.equal(factory.informerFor(CONFIGMAPS), a);
    assert.notEqual(factory.informerFor(CONFIGMAPS, { labelSelector: 'x=y' }), a);
    factory.shutdown();
  });
});

describe('SharedInformer recovery (scripted server)', () => {
  /** A tiny fake apiserver: lists answer `state`; each watch request is answered by the next scripted function. */
  function scriptedServer(state: { items: KubeObject[]; rv: string }, watches: Array<(res: ServerResponse, req: IncomingMessage) => void>) {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('Content-Type', 'application/json');
      if (url.searchParams.get('watch') === 'true') {
        const next = watches.shift();
        if (next) return next(res, req);
        res.writeHead(200);
        res.flushHeaders();
        return; // hangs until the informer stops
      }
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: state.rv }, items: state.items }));
    });
    return { server, requests };
  }
  const cm = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'n', resourceVersion: rv, uid: name } });
  const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

  test('a watch that ends resumes from the last resourceVersion (bookmarks count); 410 Gone re-lists and diffs', async () => {
    const state = { items: [cm('a', '5'), cm('b', '5')], rv: '5' };
    const { server, requests } = scriptedServer(state, [
      (res) => {
        res.writeHead(200);
        res.write(line('MODIFIED', cm('a', '6')));
        res.end(line('BOOKMARK', { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '9' } }));
      },
      (res) => {
        // History past 9 is compacted: the server says so in the stream, and the informer must re-list.
        state.items = [cm('a', '6'), cm('c', '12')];
        state.rv = '12';
        res.writeHead(200);
        res.end(line('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 9 (10)' }));
      },
    ]);
    const informer = new SharedInformer(new Client(inProcessTransport(server)).resource(CONFIGMAPS));
    const rec = recorder();
    informer.addEventHandler(rec.handler);
    informer.run();
    await until('the re-list', () => informer.lastSyncResourceVersion === '12' && rec.events.includes('add c'));
    informer.stop();
    assert.deepEqual(rec.events.slice(0, 3), ['add a initial', 'add b initial', 'update a']);
    // The re-list's difference: b went while nobody watched (its final state unknown), c came; a is unchanged.
    assert.deepEqual(rec.events.slice(3).sort(), ['add c', 'delete b unknown']);
    const watchRVs = requests.filter((u) => u.includes('watch=true')).map((u) => new URL(u, 'http://x').searchParams.get('resourceVersion'));
    assert.deepEqual(watchRVs.slice(0, 3), ['5', '9', '12']);
    assert.equal(requests.filter((u) => !u.includes('watch=true')).length, 2, 'two lists: the first and the one after 410');
    assert.deepEqual(informer.lister().list().map((o) => o.metadata.name).sort(), ['a', 'c']);
  });
});
