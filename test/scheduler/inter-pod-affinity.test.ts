import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { harness } from './harness.js';
import { makeNode, makePod } from './helpers.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';
const term = (labels: Record<string, string>, topologyKey: string, namespaces?: string[]): PodAffinityTerm => ({ labelSelector: { matchLabels: labels }, topologyKey, namespaces });
const nodes = () => [makeNode('n1', { labels: { [ZONE]: 'a' } }), makeNode('n2', { labels: { [ZONE]: 'a' } }), makeNode('n3', { labels: { [ZONE]: 'b' } })];
const db = () => makePod('db', { nodeName: 'n1', labels: { app: 'db' } });

const withAffinity = (name: string, o: { labels?: Record<string, string>; affinity?: PodAffinityTerm[]; anti?: PodAffinityTerm[]; prefer?: WeightedPodAffinityTerm[]; avoid?: WeightedPodAffinityTerm[]; nodeName?: string; namespace?: string }) =>
  makePod(name, {
    labels: o.labels,
    nodeName: o.nodeName,
    namespace: o.namespace,
    spec: {
      affinity: {
        podAffinity: o.affinity || o.prefer ? { requiredDuringSchedulingIgnoredDuringExecution: o.affinity, preferredDuringSchedulingIgnoredDuringExecution: o.prefer } : undefined,
        podAntiAffinity: o.anti || o.avoid ? { requiredDuringSchedulingIgnoredDuringExecution: o.anti, preferredDuringSchedulingIgnoredDuringExecution: o.avoid } : undefined,
      },
    },
  });

const AFF = "node(s) didn't match pod affinity rules";
const ANTI = "node(s) didn't match pod anti-affinity rules";
const EXISTING = "node(s) didn't satisfy existing pods anti-affinity rules";

test('required affinity: same topology domain as a matching pod', () => {
  const h = harness(nodes(), [db()]);
  assert.deepEqual(h.filter('InterPodAffinity', withAffinity('p', { affinity: [term({ app: 'db' }, ZONE)] })), { n1: '', n2: '', n3: AFF });
  assert.deepEqual(h.filter('InterPodAffinity', withAffinity('p', { affinity: [term({ app: 'db' }, HOST)] })), { n1: '', n2: AFF, n3: AFF });
  // Terms select pods in the pod's own namespace unless namespaces are listed.
  assert.deepEqual(h.filter('InterPodAffinity', withAffinity('p', { namespace: 'other', affinity: [term({ app: 'db' }, ZONE)] })), { n1: AFF, n2: AFF, n3: AFF });
  assert.deepEqual(h.filter('InterPodAffinity', withAffinity('p', { namespace: 'other', affinity: [term({ app: 'db' }, ZONE, ['default'])] })), { n1: '', n2: '', n3: AFF });
});

test('required affinity to itself: the first pod of a group may go to any node with the topology label', () => {
  const h = harness([...nodes(), makeNode('bare')]);
  const pod = withAffinity('first', { labels: { app: 'web' }, affinity: [term({ app: 'web' }, ZONE)] });
  assert.deepEqual(h.filter('InterPodAffinity', pod), { n1: '', n2: '', n3: '', bare: AFF });
});

test('required anti-affinity: not in a domain with a matching pod', () => {
  const h = harness(nodes(), [db()]);
  assert.deepEqual(h.filter('InterPodAffinity', withAffinity('p', { anti: [term({ app: 'db' }, ZONE)] })), { n1: ANTI, n2: ANTI, n3: '' });
  assert.deepEqual(h.filter('InterPodAffinity', withAffinity('p', { anti: [term({ app: 'db' }, HOST)] })), { n1: ANTI, n2: '', n3: '' });
});

test('existing pods\' anti-affinity is symmetric: a pod they repel cannot join them', () => {
  const guard = withAffinity('guard', { nodeName: 'n1', labels: { app: 'guard' }, anti: [term({ app: 'web' }, ZONE)] });
  const h = harness(nodes(), [guard]);
  assert.deepEqual(h.filter('InterPodAffinity', makePod('web', { labels: { app: 'web' } })), { n1: EXISTING, n2: EXISTING, n3: '' });
  assert.deepEqual(h.filter('InterPodAffinity', makePod('api', { labels: { app: 'api' } })), { n1: '', n2: '', n3: '' });
});

test('preferred affinity and anti-affinity score by weight per domain, normalized min..max', () => {
  const h = harness(nodes(), [db()]);
  assert.deepEqual(h.score('InterPodAffinity', withAffinity('p', { prefer: [{ weight: 10, podAffinityTerm: term({ app: 'db' }, ZONE) }] })), { n1: 100, n2: 100, n3: 0 });
  assert.deepEqual(h.score('InterPodAffinity', withAffinity('p', { avoid: [{ weight: 10, podAffinityTerm: term({ app: 'db' }, HOST) }] })), { n1: 0, n2: 100, n3: 100 });
  // Existing pods' required affinity attracts matching pods with hardPodAffinityWeight (1).
  const fan = withAffinity('fan', { nodeName: 'n3', labels: { app: 'fan' }, affinity: [term({ app: 'web' }, ZONE)] });
  const h2 = harness(nodes(), [fan]);
  assert.deepEqual(h2.score('InterPodAffinity', makePod('web', { labels: { app: 'web' } })), { n1: 0, n2: 0, n3: 100 });
});
