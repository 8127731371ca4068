import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { harness } from './harness.js';
import { makeNode, makePod } from './helpers.js';

const ZONE = 'topology.kubernetes.io/zone';
const SKEW = "node(s) didn't match pod topology spread constraints";
const LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";

const spread = (name: string, c: Partial<TopologySpreadConstraint>, o: { labels?: Record<string, string>; nodeSelector?: Record<string, string> } = {}) =>
  makePod(name, {
    labels: o.labels ?? { app: 's' },
    spec: {
      nodeSelector: o.nodeSelector,
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 's' } }, ...c }],
    },
  });
const on = (node: string, i: number, labels: Record<string, string> = { app: 's' }) => makePod(`e-${node}-${i}`, { nodeName: node, labels });

test('maxSkew: a domain may exceed the global minimum by at most maxSkew; nodes without the key are rejected', () => {
  const nodes = [makeNode('n1', { labels: { [ZONE]: 'a' } }), makeNode('n2', { labels: { [ZONE]: 'a' } }), makeNode('n3', { labels: { [ZONE]: 'b' } }), makeNode('bare')];
  const h = harness(nodes, [on('n1', 1), on('n1', 2), on('n3', 1, { app: 'other' })]);
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', {})), { n1: SKEW, n2: SKEW, n3: '', bare: LABEL });
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', { maxSkew: 3 })), { n1: '', n2: '', n3: '', bare: LABEL });
  // A pod the selector does not match does not count itself.
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', { maxSkew: 2 }, { labels: { app: 'x' } })), { n1: '', n2: '', n3: '', bare: LABEL });
});

test('minDomains: fewer domains than minDomains make the global minimum 0', () => {
  const nodes = [makeNode('n1', { labels: { [ZONE]: 'a' } }), makeNode('n2', { labels: { [ZONE]: 'b' } })];
  const h = harness(nodes, [on('n1', 1), on('n2', 1)]);
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', {})), { n1: '', n2: '' });
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', { minDomains: 3 })), { n1: SKEW, n2: SKEW });
});

test('nodeAffinityPolicy and nodeTaintsPolicy decide which nodes count as domains', () => {
  const nodes = [
    makeNode('n1', { labels: { [ZONE]: 'a', pool: 'main' } }),
    makeNode('n2', { labels: { [ZONE]: 'b', pool: 'main' } }),
    makeNode('n3', { labels: { [ZONE]: 'c' }, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }),
  ];
  const h = harness(nodes, [on('n1', 1), on('n2', 1)]);
  // Honor (default): zone c does not match the pod's nodeSelector, so the minimum is 1.
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', {}, { nodeSelector: { pool: 'main' } })), { n1: '', n2: '', n3: '' });
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', { nodeAffinityPolicy: 'Ignore' }, { nodeSelector: { pool: 'main' } })), { n1: SKEW, n2: SKEW, n3: '' });
  // Taints are ignored by default: zone c counts (0 pods); with Honor the untolerated taint excludes it.
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', {})), { n1: SKEW, n2: SKEW, n3: '' });
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', { nodeTaintsPolicy: 'Honor' })), { n1: '', n2: '', n3: '' });
});

test('matchLabelKeys: only pods with the same values of those keys (e.g. the same revision) count', () => {
  const nodes = [makeNode('n1', { labels: { [ZONE]: 'a' } }), makeNode('n2', { labels: { [ZONE]: 'b' } })];
  const old = { app: 's', 'pod-template-hash': 'old' };
  const h = harness(nodes, [on('n1', 1, old), on('n1', 2, old)]);
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', {}, { labels: { app: 's', 'pod-template-hash': 'new' } })), { n1: SKEW, n2: '' });
  assert.deepEqual(h.filter('PodTopologySpread', spread('p', { matchLabelKeys: ['pod-template-hash'] }, { labels: { app: 's', 'pod-template-hash': 'new' } })), { n1: '', n2: '' });
});

test('ScheduleAnyway scores emptier domains higher; cluster default constraints use the pod\'s Services', () => {
  const nodes = [makeNode('n1', { labels: { [ZONE]: 'a' } }), makeNode('n2', { labels: { [ZONE]: 'a' } }), makeNode('n3', { labels: { [ZONE]: 'b' } })];
  const pods = [on('n1', 1), on('n1', 2), on('n2', 1)];
  const h = harness(nodes, pods);
  const s = h.score('PodTopologySpread', spread('p', { whenUnsatisfiable: 'ScheduleAnyway' }));
  // raw: zone a holds 3 matching pods, weight ln(2 domains + 2): round(3 * 1.386) = 4; zone b 0.
  // normalized: 100 * (max + min - score) / max.
  assert.deepEqual(s, { n1: 0, n2: 0, n3: 100 });
  // Without constraints and without a Service selecting it, the defaults do not apply.
  assert.deepEqual(h.score('PodTopologySpread', makePod('plain', { labels: { app: 's' } })), { n1: 0, n2: 0, n3: 0 });
  const svc = { metadata: { name: 's', namespace: 'default' }, spec: { selector: { app: 's' } } };
  const h2 = harness(nodes, pods, { listers: { services: () => [svc] } });
  const d = h2.score('PodTopologySpread', makePod('plain', { labels: { app: 's' } }));
  assert.ok(d.n3! > d.n2! && d.n2! > d.n1!, JSON.stringify(d));
  // The same through the pod's controlling ReplicaSet.
  const rs = { metadata: { name: 'web-1', namespace: 'default' }, spec: { selector: { matchLabels: { app: 's' } }, template: {} } };
  const h3 = harness(nodes, pods, { listers: { replicaSets: () => [rs] } });
  const owned = makePod('owned', { labels: { app: 's' } });
  owned.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', controller: true }];
  assert.deepEqual(h3.score('PodTopologySpread', owned), d);
});
