import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './harness.js';
import { makeNode, makePod } from './helpers.js';
import { PrioritySort } from '../../src/scheduler/plugins/priority-sort.js';
import { SchedulingGates } from '../../src/scheduler/plugins/scheduling-gates.js';
import { podInfoOf } from '../../src/scheduler/pod-info.js';
import type { QueuedPodInfo } from '../../src/scheduler/framework.js';

test('NodeName: only the named node fits', () => {
  const h = harness([makeNode('a'), makeNode('b')]);
  assert.deepEqual(h.filter('NodeName', makePod('p', { nodeName: 'b' })), { a: "node(s) didn't match the requested node name", b: '' });
  assert.deepEqual(h.filter('NodeName', makePod('q')), { a: '', b: '' });
});

test('NodeUnschedulable: cordoned nodes reject pods unless they tolerate the unschedulable taint', () => {
  const h = harness([makeNode('cordoned', { unschedulable: true }), makeNode('ok')]);
  assert.deepEqual(h.filter('NodeUnschedulable', makePod('p')), { cordoned: 'node(s) were unschedulable', ok: '' });
  const tolerant = makePod('t', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
  assert.deepEqual(h.filter('NodeUnschedulable', tolerant), { cordoned: '', ok: '' });
});

test('NodeAffinity: nodeSelector, required terms (ORed terms, ANDed expressions), Gt/Lt and matchFields', () => {
  const nodes = [
    makeNode('n1', { labels: { zone: 'a', disk: 'ssd', cores: '8' } }),
    makeNode('n2', { labels: { zone: 'b', cores: '2' } }),
    makeNode('n3', { labels: { zone: 'c' } }),
  ];
  const h = harness(nodes);
  const miss = "node(s) didn't match Pod's node affinity/selector";
  assert.deepEqual(h.filter('NodeAffinity', makePod('sel', { spec: { nodeSelector: { disk: 'ssd' } } })), { n1: '', n2: miss, n3: miss });
  const required = (terms: object[]) => makePod('r', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as never } } } } });
  assert.deepEqual(
    h.filter('NodeAffinity', required([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['c'] }] }])),
    { n1: '', n2: miss, n3: '' },
  );
  assert.deepEqual(h.filter('NodeAffinity', required([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }])), { n1: '', n2: miss, n3: miss });
  assert.deepEqual(h.filter('NodeAffinity', required([{ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }, { key: 'zone', operator: 'NotIn', values: ['c'] }] }])), { n1: miss, n2: '', n3: miss });
  // matchFields on metadata.name narrows the cycle to those nodes in PreFilter.
  assert.deepEqual(h.filter('NodeAffinity', required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }])), { n1: 'excluded by prefilter', n2: '', n3: 'excluded by prefilter' });
  // An empty term matches nothing.
  assert.deepEqual(h.filter('NodeAffinity', required([{}])), { n1: miss, n2: miss, n3: miss });
});

test('NodeAffinity score: sum of matching preferred weights, normalized to 100', () => {
  const h = harness([makeNode('n1', { labels: { zone: 'a', disk: 'ssd' } }), makeNode('n2', { labels: { zone: 'a' } }), makeNode('n3')]);
  const pod = makePod('p', {
    spec: {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 2, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
            { weight: 5, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
          ],
        },
      },
    },
  });
  // raw 7, 2, 0 -> 100, 28, 0
  assert.deepEqual(h.score('NodeAffinity', pod), { n1: 100, n2: 28, n3: 0 });
});

test('TaintToleration filter: the first untolerated NoSchedule/NoExecute taint is named', () => {
  const nodes = [
    makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    makeNode('soft', { taints: [{ key: 'dedicated', value: 'x', effect: 'PreferNoSchedule' }] }),
    makeNode('exec', { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }),
  ];
  const h = harness(nodes);
  assert.deepEqual(h.filter('TaintToleration', makePod('p')), {
    gpu: 'node(s) had untolerated taint {dedicated: gpu}',
    soft: '',
    exec: 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
  });
  const tolerates = makePod('t', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, { operator: 'Exists', effect: 'NoExecute' }] } });
  assert.deepEqual(h.filter('TaintToleration', tolerates), { gpu: '', soft: '', exec: '' });
  const wrongValue = makePod('w', { spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cpu' }] } });
  assert.equal(h.filter('TaintToleration', wrongValue).gpu, 'node(s) had untolerated taint {dedicated: gpu}');
});

test('TaintToleration score: fewer untolerated PreferNoSchedule taints score higher', () => {
  const nodes = [
    makeNode('clean'),
    makeNode('one', { taints: [{ key: 'a', value: 'x', effect: 'PreferNoSchedule' }] }),
    makeNode('two', { taints: [{ key: 'a', value: 'x', effect: 'PreferNoSchedule' }, { key: 'b', value: 'y', effect: 'PreferNoSchedule' }] }),
  ];
  const h = harness(nodes);
  assert.deepEqual(h.score('TaintToleration', makePod('p')), { clean: 100, one: 50, two: 0 });
  const tol = makePod('t', { spec: { tolerations: [{ key: 'b', operator: 'Exists', effect: 'PreferNoSchedule' }] } });
  assert.deepEqual(h.score('TaintToleration', tol), { clean: 100, one: 0, two: 0 });
});

test('NodePorts: host ports conflict by protocol, port and IP (0.0.0.0 conflicts with all)', () => {
  const withPort = (name: string, port: number, o: { ip?: string; protocol?: string; nodeName?: string } = {}) =>
    makePod(name, { nodeName: o.nodeName, containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, hostIP: o.ip, protocol: o.protocol }] }] });
  const h = harness([makeNode('a'), makeNode('b')], [withPort('x', 8080, { nodeName: 'a', ip: '10.0.0.1' })]);
  const msg = "node(s) didn't have free ports for the requested pod ports";
  assert.deepEqual(h.filter('NodePorts', withPort('p', 8080)), { a: msg, b: '' });
  assert.deepEqual(h.filter('NodePorts', withPort('q', 8080, { ip: '10.0.0.2' })), { a: '', b: '' });
  assert.deepEqual(h.filter('NodePorts', withPort('r', 8080, { protocol: 'UDP' })), { a: '', b: '' });
  assert.deepEqual(h.filter('NodePorts', makePod('none')), { a: '', b: '' });
});

test('ImageLocality: nodes holding big, widely spread images score higher', () => {
  const mb = 1024 * 1024;
  const nodes = [
    makeNode('n1', { images: [{ names: ['gcr.io/40:latest'], sizeBytes: 40 * mb }, { names: ['gcr.io/250:latest'], sizeBytes: 250 * mb }] }),
    makeNode('n2', { images: [{ names: ['gcr.io/250:latest'], sizeBytes: 250 * mb }, { names: ['gcr.io/10:latest'], sizeBytes: 10 * mb }] }),
    makeNode('n3'),
  ];
  const h = harness(nodes);
  const pod = makePod('p', { containers: [{ name: 'a', image: 'gcr.io/40' }, { name: 'b', image: 'gcr.io/250' }] });
  const s = h.score('ImageLocality', pod);
  // n1: 40MB*1/3 + 250MB*2/3 = 180MB; n2: 250*2/3 = 166MB; scaled between 23MB and 2000MB.
  assert.equal(s.n1, Math.trunc((100 * (Math.trunc(40 * mb / 3) + Math.trunc(250 * mb * 2 / 3) - 23 * mb)) / (2000 * mb - 23 * mb)));
  assert.equal(s.n2, Math.trunc((100 * (Math.trunc(250 * mb * 2 / 3) - 23 * mb)) / (2000 * mb - 23 * mb)));
  assert.ok(s.n1! >= s.n2! && s.n2! > s.n3!, JSON.stringify(s));
  assert.equal(s.n3, 0);
});

test('PrioritySort: higher priority first, then earlier in the queue', () => {
  const ps = new PrioritySort();
  const q = (priority: number, timestamp: number) => ({ podInfo: podInfoOf(makePod(`p${priority}-${timestamp}`, { priority })), timestamp }) as QueuedPodInfo;
  assert.equal(ps.less(q(10, 5), q(1, 1)), true);
  assert.equal(ps.less(q(1, 1), q(10, 5)), false);
  assert.equal(ps.less(q(1, 1), q(1, 2)), true);
});

test('SchedulingGates: gated pods wait with kube\'s message', () => {
  const g = new SchedulingGates();
  const s = g.preEnqueue(podInfoOf(makePod('g', { spec: { schedulingGates: [{ name: 'example.com/a' }, { name: 'b' }] } })));
  assert.equal(s?.message(), 'waiting for scheduling gates: [example.com/a b]');
  assert.equal(g.preEnqueue(podInfoOf(makePod('free'))), undefined);
});
