/**
 * End-to-end: events through the real kubectl against the real `k8ts up` — `kubectl get events` and its field
 * selectors, `kubectl events`, the Events section of `kubectl describe pod`, core v1 and events.k8s.io/v1 as
 * two views of one event (series <-> count), watches of events (served from storage, as kube keeps events out
 * of its watch cache), and `--event-ttl` expiry, across a restart too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import type { Event as EventV1 } from 'kubernetes-types/events/v1.js';
import * as k8s from '@kubernetes/client-node';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { clientFor, recordWatch } from '../helpers/client-node.js';
import { manifest, ok } from '../helpers/kubectl-e2e.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/wait.js';

/** A core v1 event about `pod`, as a component would record it. */
function coreEvent(name: string, pod: Pod, extra: Partial<Event> = {}): Event {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: pod.metadata!.namespace! },
    involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid!, fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    message: 'Container image "busybox:1.36" already present on machine',
    type: 'Normal',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    ...extra,
  };
}

describe('events', () => {
  let cluster: TestCluster;
  let pod: Pod;
  const k = (args: string[], input?: string) => cluster.kubectl(args, input === undefined ? {} : { input });

  before(async () => {
    cluster = await startCluster();
    ok(await k(['create', 'namespace', 'ev']));
    // On a node already, as a pod the kubelet reports about is (so the scheduler has nothing to say about it).
    ok(await k(['run', 'web', '--image=busybox:1.36', '-n', 'ev', '--overrides={"spec":{"nodeName":"node-1"}}']));
    pod = JSON.parse(ok(await k(['get', 'pod', 'web', '-n', 'ev', '-o', 'json']))) as Pod;
    ok(await k(['create', '-f', '-'], manifest(coreEvent('web.pulled', pod))));
    ok(await k(['create', '-f', '-'], manifest(coreEvent('web.backoff', pod, { reason: 'BackOff', type: 'Warning', message: 'Back-off restarting failed container', count: 4 }))));
  });
  after(async () => {
    await cluster?.stop();
  });

  test('kubectl describe pod shows the events about it', async () => {
    const out = ok(await k(['describe', 'pod', 'web', '-n', 'ev']));
    const events = out.slice(out.indexOf('Events:'));
    assert.match(events, /Type\s+Reason\s+Age\s+From\s+Message/);
    assert.match(events, /Normal\s+Pulled\s+\S+\s+kubelet\s+Container image "busybox:1.36" already present on machine/);
    assert.match(events, /Warning\s+BackOff\s+\S+ \(x4 over \S+\)\s+kubelet\s+Back-off restarting failed container/);
  });

  test('kubectl get events with field selectors, and kubectl events', async () => {
    const all = ok(await k(['get', 'events', '-n', 'ev']));
    assert.match(all, /LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    assert.match(all, /Warning\s+BackOff\s+pod\/web\s+Back-off restarting failed container/);
    const names = async (selector: string, resource = 'events') =>
      ok(await k(['get', resource, '-n', 'ev', '--field-selector', selector, '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean).sort();
    assert.deepEqual(await names('involvedObject.name=web'), ['web.backoff', 'web.pulled']);
    assert.deepEqual(await names(`involvedObject.uid=${pod.metadata!.uid},reason=BackOff`), ['web.backoff']);
    assert.deepEqual(await names('type=Normal,involvedObject.kind=Pod,involvedObject.fieldPath=spec.containers{app}'), ['web.pulled']);
    assert.deepEqual(await names('source=kubelet,involvedObject.namespace=ev'), ['web.backoff', 'web.pulled']);
    assert.deepEqual(await names('involvedObject.name=other'), []);
    // events.k8s.io/v1 names the same fields its own way.
    assert.deepEqual(await names('regarding.name=web,reason=Pulled', 'events.events.k8s.io'), ['web.pulled']);
    const bad = await k(['get', 'events.events.k8s.io', '-n', 'ev', '--field-selector', 'involvedObject.name=web']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /field label not supported: involvedObject.name/);
    const listed = ok(await k(['events', '-n', 'ev', '--for', 'pod/web']));
    assert.match(listed, /Normal\s+Pulled\s+Pod\/web\s+Container image/);
    assert.match(listed, /Warning\s+BackOff\s+Pod\/web\s+Back-off restarting failed container/);
    assert.match(ok(await k(['events', '-n', 'ev', '--types=Warning'])), /BackOff/);
  });

  test('a watch of events from a list resourceVersion sees every change in order, and a field-selected one sees events leave', async () => {
    const { kc, core } = clientFor(cluster.kubeconfig);
    const listed = await core.listNamespacedEvent({ namespace: 'ev' });
    const rv = listed.metadata!.resourceVersion!;
    const all = await recordWatch(kc, '/api/v1/namespaces/ev/events', { resourceVersion: rv });
    const probes = await recordWatch(kc, '/api/v1/namespaces/ev/events', { resourceVersion: rv, fieldSelector: 'reason=Probe' });
    try {
      await core.createNamespacedEvent({ namespace: 'ev', body: coreEvent('web.probe', pod, { reason: 'Probe' }) as unknown as k8s.CoreV1Event });
      await core.patchNamespacedEvent({ namespace: 'ev', name: 'web.probe', body: { count: 2 } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.patchNamespacedEvent({ namespace: 'ev', name: 'web.probe', body: { reason: 'Other' } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedEvent({ namespace: 'ev', name: 'web.probe' });
      await all.received(4);
      await probes.received(3);
      assert.deepEqual(
        all.events.map((e) => [e.type, (e.object as Event).reason, (e.object as Event).count]),
        [
          ['ADDED', 'Probe', 1],
          ['MODIFIED', 'Probe', 2],
          ['MODIFIED', 'Other', 2],
          ['DELETED', 'Other', 2],
        ],
      );
      const rvs = all.events.map((e) => Number(e.object.metadata!.resourceVersion));
      assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b));
      assert.ok(rvs[0]! > Number(rv));
      // Leaving the selection reads as DELETED; the delete after it is not the selected watch's business.
      assert.deepEqual(
        probes.events.map((e) => e.type),
        ['ADDED', 'MODIFIED', 'DELETED'],
      );
      // Initial events come from storage too.
      const initial = await recordWatch(kc, '/api/v1/namespaces/ev/events', { fieldSelector: 'reason=BackOff' });
      try {
        await initial.received(1);
        assert.deepEqual(
          initial.events.map((e) => [e.type, e.object.metadata!.name]),
          [['ADDED', 'web.backoff']],
        );
      } finally {
        initial.abort();
      }
    } finally {
      all.abort();
      probes.abort();
    }
  });

  test('core and events.k8s.io are two views of one event: a series reads as count, and count as a series', async () => {
    const observed = new Date(Date.now() - 1000).toISOString().replace(/Z$/, '000Z');
    const v1: EventV1 = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web.series', namespace: 'ev' },
      eventTime: observed,
      regarding: { kind: 'Pod', apiVersion: 'v1', namespace: 'ev', name: 'web', uid: pod.metadata!.uid! },
      reason: 'Unhealthy',
      note: 'Readiness probe failed',
      type: 'Warning',
      action: 'Probing',
      reportingController: 'kubelet',
      reportingInstance: 'node-1',
      series: { count: 7, lastObservedTime: observed },
    };
    ok(await k(['create', '-f', '-'], manifest(v1)));
    const core = JSON.parse(ok(await k(['get', 'event', 'web.series', '-n', 'ev', '-o', 'json']))) as Event;
    assert.equal(core.count, 7);
    assert.equal(core.lastTimestamp, observed.replace(/\.\d+Z$/, 'Z'));
    assert.equal(core.involvedObject.name, 'web');
    assert.equal(core.message, 'Readiness probe failed');
    assert.deepEqual(
      ok(await k(['get', 'events', '-n', 'ev', '--field-selector', 'reportingComponent=kubelet', '-o', 'jsonpath={.items[*].metadata.name}'])),
      'web.series',
    );
    assert.match(ok(await k(['describe', 'pod', 'web', '-n', 'ev'])), /Warning\s+Unhealthy\s+\S+ \(x7 over \S+\)\s+kubelet\s+Readiness probe failed/);
    const back = JSON.parse(ok(await k(['get', 'events.events.k8s.io', 'web.backoff', '-n', 'ev', '-o', 'json']))) as EventV1;
    assert.equal(back.regarding?.name, 'web');
    assert.equal(back.deprecatedCount, 4);
    assert.equal(back.series?.count, 4);
    assert.match(ok(await k(['get', 'events.events.k8s.io', '-n', 'ev'])), /Warning\s+BackOff\s+pod\/web\s+Back-off restarting failed container/);
  });
});

describe('--event-ttl', () => {
  test('events expire after the TTL, and still do after a restart', async () => {
    const dir = await tempDir('k8ts-e2e-ttl-');
    const args = ['--event-ttl', '3s'];
    let cluster = await startCluster({ dataDir: dir.path, args });
    try {
      const k = (a: string[], input?: string) => cluster.kubectl(a, input === undefined ? {} : { input });
      ok(await k(['run', 'web', '--image=busybox:1.36']));
      const pod = JSON.parse(ok(await k(['get', 'pod', 'web', '-o', 'json']))) as Pod;
      ok(await k(['create', '-f', '-'], manifest(coreEvent('short', pod))));
      assert.equal(ok(await k(['get', 'event', 'short', '-o', 'jsonpath={.metadata.name}'])), 'short');
      await until('the event to expire', async () => (await k(['get', 'event', 'short'])).code !== 0);
      assert.match((await k(['get', 'event', 'short'])).stderr, /events "short" not found/);
      // Written, then the server stops past its TTL: the restarted server expires it from what it recorded.
      ok(await k(['create', '-f', '-'], manifest(coreEvent('across-restart', pod))));
      await cluster.shutdown();
      await new Promise((r) => setTimeout(r, 3500));
      cluster = await startCluster({ dataDir: dir.path, args });
      await until('the event to expire after the restart', async () => (await k(['get', 'event', 'across-restart'])).code !== 0, 5000);
      // A fresh event is kept until its own TTL passes.
      ok(await k(['create', '-f', '-'], manifest(coreEvent('fresh', pod))));
      assert.equal(ok(await k(['get', 'event', 'fresh', '-o', 'jsonpath={.metadata.name}'])), 'fresh');
    } finally {
      await cluster.stop();
      await dir.remove();
    }
  });
});
