/**
 * StatefulSet decisions on a fake pod cache (an Indexer filled by hand, as an informer would be): ordinals
 * created in order or in parallel, scale down from the highest ordinal, rolling updates in reverse ordinal
 * order within partition and maxUnavailable, OnDelete, the status, pod identity and claim retention; and the
 * revision hashes the history helpers give; and whole syncs against a fake apiserver.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Indexer } from '../../src/client/indexer.js';
import { CONTROLLER_REVISION_HASH_LABEL, CONTROLLER_REVISIONS, hashRevisionData, type ControllerRevisionObject, newRevision, templateOfRevision, templatePatch } from '../../src/controllers/history/history.js';
import type { PodObject } from '../../src/controllers/replicaset/pods.js';
import { claimOwnerRefs, claimsFor, newStatefulSetPod, POD_INDEX_LABEL, POD_NAME_LABEL, type StatefulSetObject } from '../../src/controllers/statefulset/identity.js';
import { planStatefulSet, statefulSetStatus } from '../../src/controllers/statefulset/plan.js';
import { STATEFULSETS, StatefulSetController } from '../../src/controllers/statefulset/statefulset.js';
import { PODS } from '../../src/client/resources.js';
import { fakeContext } from './fake-client.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] } };

function set(spec: Record<string, unknown> = {}): StatefulSetObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 2 },
    spec: {
      replicas: 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'web' } },
      template,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  } as StatefulSetObject;
}

type PodState = 'ready' | 'pending' | 'terminating' | 'failed';

/** A fake pod cache holding pods `web-<ordinal>` in the given states and revisions. */
function cache(pods: Array<[number, PodState, string?]>): PodObject[] {
  const indexer = new Indexer<PodObject>();
  for (const [ord, state, rev] of pods) {
    indexer.upsert({
      metadata: {
        name: `web-${ord}`,
        namespace: 'default',
        uid: `uid-${ord}`,
        labels: { app: 'web', [CONTROLLER_REVISION_HASH_LABEL]: rev ?? 'web-old' },
        ...(state === 'terminating' ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      },
      status:
        state === 'pending'
          ? { phase: 'Pending' }
          : state === 'failed'
            ? { phase: 'Failed' }
            : { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    });
  }
  return indexer.list().sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

const names = (pods: PodObject[]): string[] => pods.map((p) => p.metadata.name ?? '');

describe('StatefulSet ordinals (OrderedReady)', () => {
  test('a new set creates web-0 first and waits', () => {
    const plan = planStatefulSet(set(), cache([]), 'web-old', 'web-old');
    assert.deepEqual(plan.create, [{ ordinal: 0, revision: 'web-old' }]);
    assert.equal(plan.wait, true);
  });

  test('web-1 is created only once web-0 is Running and Ready', () => {
    assert.deepEqual(planStatefulSet(set(), cache([[0, 'pending']]), 'web-old', 'web-old').create, []);
    assert.deepEqual(planStatefulSet(set(), cache([[0, 'ready']]), 'web-old', 'web-old').create, [{ ordinal: 1, revision: 'web-old' }]);
  });

  test('a deleted pod in the middle is created again under its name', () => {
    const plan = planStatefulSet(set(), cache([[0, 'ready'], [2, 'ready']]), 'web-old', 'web-old');
    assert.deepEqual(plan.create, [{ ordinal: 1, revision: 'web-old' }]);
    assert.deepEqual(plan.delete, []);
  });

  test('a failed pod is deleted (to be made again)', () => {
    const plan = planStatefulSet(set(), cache([[0, 'ready'], [1, 'failed'], [2, 'ready']]), 'web-old', 'web-old');
    assert.deepEqual(names(plan.delete), ['web-1']);
  });

  test('scale down removes the highest ordinal first, one at a time', () => {
    const pods = cache([[0, 'ready'], [1, 'ready'], [2, 'ready']]);
    assert.deepEqual(names(planStatefulSet(set({ replicas: 1 }), pods, 'web-old', 'web-old').delete), ['web-2']);
    const next = cache([[0, 'ready'], [1, 'ready'], [2, 'terminating']]);
    const plan = planStatefulSet(set({ replicas: 1 }), next, 'web-old', 'web-old');
    assert.deepEqual(plan.delete, []);
    assert.equal(plan.wait, true);
  });

  test('scale down waits while a lower pod is unhealthy', () => {
    const plan = planStatefulSet(set({ replicas: 1 }), cache([[0, 'pending'], [1, 'ready'], [2, 'ready']]), 'web-old', 'web-old');
    assert.deepEqual(plan.delete, []);
  });
});

describe('StatefulSet ordinals (Parallel)', () => {
  test('creates every missing ordinal at once, and deletes every condemned one', () => {
    const plan = planStatefulSet(set({ podManagementPolicy: 'Parallel' }), cache([[1, 'pending']]), 'web-old', 'web-old');
    assert.deepEqual(plan.create.map((c) => c.ordinal), [0, 2]);
    const down = planStatefulSet(set({ podManagementPolicy: 'Parallel', replicas: 1 }), cache([[0, 'ready'], [1, 'pending'], [2, 'ready']]), 'web-old', 'web-old');
    assert.deepEqual(names(down.delete), ['web-2', 'web-1']);
  });
});

describe('StatefulSet rolling update', () => {
  test('replaces pods from the highest ordinal down, one at a time', () => {
    const s = set();
    assert.deepEqual(names(planStatefulSet(s, cache([[0, 'ready'], [1, 'ready'], [2, 'ready']]), 'web-old', 'web-new').delete), ['web-2']);
    // web-2 comes back at the update revision; until it is ready nothing else goes.
    assert.deepEqual(planStatefulSet(s, cache([[0, 'ready'], [1, 'ready'], [2, 'pending', 'web-new']]), 'web-old', 'web-new').delete, []);
    assert.deepEqual(names(planStatefulSet(s, cache([[0, 'ready'], [1, 'ready'], [2, 'ready', 'web-new']]), 'web-old', 'web-new').delete), ['web-1']);
  });

  test('a missing pod is made at the update revision, or the current one below the partition', () => {
    assert.deepEqual(planStatefulSet(set(), cache([[0, 'ready']]), 'web-old', 'web-new').create, [{ ordinal: 1, revision: 'web-new' }]);
    const partitioned = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    assert.deepEqual(planStatefulSet(partitioned, cache([[0, 'ready']]), 'web-old', 'web-new').create, [{ ordinal: 1, revision: 'web-old' }]);
  });

  test('the partition keeps lower ordinals at the current revision', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    assert.deepEqual(planStatefulSet(s, cache([[0, 'ready'], [1, 'ready'], [2, 'ready', 'web-new']]), 'web-old', 'web-new').delete, []);
  });

  test('maxUnavailable 2 replaces two pods at once', () => {
    const s = set({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } } });
    assert.deepEqual(names(planStatefulSet(s, cache([[0, 'ready'], [1, 'ready'], [2, 'ready']]), 'web-old', 'web-new').delete), ['web-2', 'web-1']);
  });

  test('OnDelete leaves outdated pods alone', () => {
    const s = set({ updateStrategy: { type: 'OnDelete' } });
    assert.deepEqual(planStatefulSet(s, cache([[0, 'ready'], [1, 'ready'], [2, 'ready']]), 'web-old', 'web-new').delete, []);
  });

  test('status counts revisions and makes the update revision current once all pods are updated and ready', () => {
    const revs = { current: 'web-old', update: 'web-new', collisionCount: 0 };
    const mid = statefulSetStatus(set(), cache([[0, 'ready'], [1, 'ready'], [2, 'ready', 'web-new']]), revs);
    assert.deepEqual(
      [mid.replicas, mid.readyReplicas, mid.availableReplicas, mid.currentReplicas, mid.updatedReplicas, mid.currentRevision, mid.observedGeneration],
      [3, 3, 3, 2, 1, 'web-old', 2],
    );
    const done = statefulSetStatus(set(), cache([[0, 'ready', 'web-new'], [1, 'ready', 'web-new'], [2, 'ready', 'web-new']]), revs);
    assert.deepEqual([done.currentReplicas, done.updatedReplicas, done.currentRevision, done.updateRevision], [3, 3, 'web-new', 'web-new']);
  });
});

describe('StatefulSet identity and storage', () => {
  test('pod web-1: stable name, labels, hostname, subdomain and its claim as a volume', () => {
    const pod = newStatefulSetPod(set(), template, 'web-abc', 1);
    assert.equal(pod.metadata.name, 'web-1');
    assert.equal(pod.metadata.generateName, undefined);
    assert.deepEqual(pod.metadata.labels, { app: 'web', [POD_NAME_LABEL]: 'web-1', [POD_INDEX_LABEL]: '1', [CONTROLLER_REVISION_HASH_LABEL]: 'web-abc' });
    assert.equal(pod.spec?.hostname, 'web-1');
    assert.equal(pod.spec?.subdomain, 'nginx');
    assert.deepEqual(pod.spec?.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }]);
    assert.deepEqual(pod.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true }]);
  });

  test('claims are named <claim>-<set>-<ordinal> and labelled with the selector', () => {
    const [claim] = claimsFor(set(), 2);
    assert.equal(claim?.metadata.name, 'www-web-2');
    assert.deepEqual(claim?.metadata.labels, { app: 'web' });
    assert.deepEqual(claim?.spec?.resources, { requests: { storage: '1Gi' } });
  });

  test('retention policy: whenDeleted=Delete owns the claim by the set, whenScaled=Delete by a condemned pod', () => {
    const [claim] = claimsFor(set(), 2);
    const pod = cache([[2, 'ready']])[0]!;
    assert.deepEqual(claimOwnerRefs(claim!, set(), pod, true), []);
    const deleting = set({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } });
    assert.deepEqual(claimOwnerRefs(claim!, deleting, pod, false).map((r) => r.kind), ['StatefulSet']);
    assert.deepEqual(claimOwnerRefs(claim!, deleting, pod, true).map((r) => `${r.kind}/${r.name}`), ['StatefulSet/web', 'Pod/web-2']);
  });
});

describe('ControllerRevision history', () => {
  test('the hash depends on the template and the collision count only', () => {
    const a = hashRevisionData(templatePatch(template));
    assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(hashRevisionData(templatePatch(structuredClone(template))), a);
    assert.notEqual(hashRevisionData(templatePatch(template), 1), a);
    const other = { ...template, spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } };
    assert.notEqual(hashRevisionData(templatePatch(other)), a);
  });

  test('a revision is named <set>-<hash>, owned by the set, and gives its template back', () => {
    const rev = newRevision(set(), { apiVersion: 'apps/v1', kind: 'StatefulSet' }, 3);
    const hash = rev.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
    assert.equal(rev.metadata.name, `web-${hash}`);
    assert.equal(rev.revision, 3);
    assert.equal(rev.metadata.ownerReferences?.[0]?.uid, 'set-uid');
    assert.deepEqual(templateOfRevision(rev), template);
  });
});

describe('StatefulSet sync against a fake apiserver', () => {
  async function controllerWith(pods: PodObject[], revisions: ControllerRevisionObject[] = []) {
    const fake = fakeContext((req) => {
      const body = req.body as { metadata?: Record<string, unknown> } | undefined;
      if (req.method === 'POST') return { status: 201, body: { ...body, metadata: { ...body?.metadata, uid: `uid-${String(body?.metadata?.['name'])}` } } };
      return { status: 200, body: body ?? {} };
    });
    const ctl = new StatefulSetController(fake.ctx);
    await ctl.init();
    fake.ctx.informers.informerFor<StatefulSetObject>(STATEFULSETS).indexer.upsert(set());
    for (const p of pods) fake.ctx.informers.informerFor<PodObject>(PODS).indexer.upsert({ ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true }] } });
    for (const r of revisions) fake.ctx.informers.informerFor<ControllerRevisionObject>(CONTROLLER_REVISIONS).indexer.upsert(r);
    return { ctl, requests: fake.requests };
  }
  const paths = (reqs: Array<{ method: string; path: string }>): string[] => reqs.map((r) => `${r.method} ${r.path.replace(/\?.*$/, '')}`);

  test('a new set: its revision, then the claim of web-0, then web-0; the status names the revision', async () => {
    const { ctl, requests } = await controllerWith([]);
    await ctl.syncStatefulSet('default/web');
    const rev = requests((r) => r.path.includes('controllerrevisions'))[0]!.body!['metadata'] as { name: string };
    assert.deepEqual(paths(requests()), [
      'POST /apis/apps/v1/namespaces/default/controllerrevisions',
      'POST /api/v1/namespaces/default/persistentvolumeclaims',
      'POST /api/v1/namespaces/default/pods',
      'PUT /apis/apps/v1/namespaces/default/statefulsets/web/status',
    ]);
    assert.equal((requests()[1]!.body!['metadata'] as { name: string }).name, 'www-web-0');
    assert.equal((requests()[2]!.body!['metadata'] as { name: string }).name, 'web-0');
    const status = requests()[3]!.body!['status'] as { currentRevision: string; updateRevision: string; replicas: number };
    assert.deepEqual([status.currentRevision, status.updateRevision, status.replicas], [rev.name, rev.name, 0]);
  });

  test('with web-0 ready and the revision cached: web-1 next, no new revision', async () => {
    const rev = newRevision(set(), { apiVersion: 'apps/v1', kind: 'StatefulSet' }, 1);
    const { ctl, requests } = await controllerWith(cache([[0, 'ready', rev.metadata.name]]), [{ ...rev, metadata: { ...rev.metadata, namespace: 'default' } }]);
    await ctl.syncStatefulSet('default/web');
    const created = requests((r) => r.method === 'POST').map((r) => `${r.path.split('/').pop()} ${(r.body!['metadata'] as { name: string }).name}`);
    assert.deepEqual(created, ['persistentvolumeclaims www-web-1', 'pods web-1']);
  });
});
