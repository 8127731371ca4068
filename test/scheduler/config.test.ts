import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ConfigError, parseSchedulerConfig } from '../../src/scheduler/config.js';
import { Code, Status, type PermitPlugin } from '../../src/scheduler/framework.js';
import { prometheusSchedulerMetrics } from '../../src/scheduler/metrics.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { bound, makeNode, makePod } from './helpers.js';

const YAML = `
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
  - schedulerName: default-scheduler
  - schedulerName: packer
    percentageOfNodesToScore: 100
    plugins:
      score:
        disabled:
          - name: NodeResourcesBalancedAllocation
        enabled:
          - name: NodeResourcesFit
            weight: 5
      filter:
        disabled:
          - name: TaintToleration
    pluginConfig:
      - name: NodeResourcesFit
        args:
          apiVersion: kubescheduler.config.k8s.io/v1
          kind: NodeResourcesFitArgs
          scoringStrategy:
            type: MostAllocated
`;

test('KubeSchedulerConfiguration: profiles, enable/disable/weights, args, percentageOfNodesToScore', () => {
  const cfg = parseSchedulerConfig(YAML);
  assert.equal(cfg.percentageOfNodesToScore, 30);
  assert.deepEqual(cfg.profiles.map((p) => [p.schedulerName, p.percentageOfNodesToScore]), [['default-scheduler', 30], ['packer', 100]]);
  const s = new Scheduler({ binder: { bind: async () => {} }, config: YAML });
  const def = s.profiles.get('default-scheduler')!;
  assert.deepEqual(def.filter.map((p) => p.name), ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity']);
  assert.deepEqual(def.score.map((p, i) => `${p.name}=${def.scoreWeights[i]}`), [
    'TaintToleration=3', 'NodeAffinity=2', 'NodeResourcesFit=1', 'PodTopologySpread=2', 'InterPodAffinity=2', 'NodeResourcesBalancedAllocation=1', 'ImageLocality=1',
  ]);
  assert.deepEqual(def.postFilter.map((p) => p.name), ['DefaultPreemption']);
  assert.deepEqual(def.preEnqueue.map((p) => p.name), ['SchedulingGates']);
  const packer = s.profiles.get('packer')!;
  assert.ok(!packer.filter.some((p) => p.name === 'TaintToleration'));
  assert.ok(!packer.score.some((p) => p.name === 'NodeResourcesBalancedAllocation'));
  assert.equal(packer.scoreWeights[packer.score.findIndex((p) => p.name === 'NodeResourcesFit')], 5);
});

test('profiles are chosen by spec.schedulerName; pods for other schedulers are ignored', async () => {
  const binds: string[] = [];
  const s = new Scheduler({ binder: { bind: async (p, n) => void binds.push(`${p.metadata!.name}@${n}`) }, config: YAML });
  s.onNodeAdd(makeNode('half', { cpu: '4' }));
  s.onNodeAdd(makeNode('empty', { cpu: '4' }));
  s.onPodAdd(makePod('existing', { nodeName: 'half', cpu: '2' }));
  s.onPodAdd(makePod('packed', { cpu: '1', spec: { schedulerName: 'packer' } }));
  s.onPodAdd(makePod('spread', { cpu: '1' }));
  s.onPodAdd(makePod('foreign', { cpu: '1', spec: { schedulerName: 'someone-else' } }));
  while (s.scheduleOne());
  await s.waitForBindings();
  assert.deepEqual(binds.sort(), ['packed@half', 'spread@empty']);
});

test('invalid configurations are rejected with the field named', () => {
  assert.throws(() => parseSchedulerConfig('apiVersion: kubescheduler.config.k8s.io/v1beta9\nkind: KubeSchedulerConfiguration\n'), ConfigError);
  assert.throws(() => parseSchedulerConfig('percentageOfNodesToScore: 101\n'), /percentageOfNodesToScore: Invalid value: 101/);
  assert.throws(() => parseSchedulerConfig('profiles: [{schedulerName: a}, {schedulerName: a}]\n'), /profiles\[1\].schedulerName: Duplicate value: "a"/);
  assert.throws(() => new Scheduler({ binder: { bind: async () => {} }, config: 'profiles: [{schedulerName: a, plugins: {filter: {enabled: [{name: Nope}]}}}]' }), /plugin "Nope" does not exist/);
});

test('Permit can hold a pod (Wait) until allowed; a failed bind forgets the assumed pod and requeues it', async () => {
  class Gate implements PermitPlugin {
    readonly name = 'Gate';
    permit() {
      return { status: new Status(Code.Wait), timeoutMs: 10_000 };
    }
  }
  const config = { profiles: [{ schedulerName: 'default-scheduler', plugins: { permit: { enabled: [{ name: 'Gate' }] } } }] };
  const binds: string[] = [];
  const s = new Scheduler({ binder: { bind: async (p) => void binds.push(p.metadata!.name!) }, config, plugins: new Map([['Gate', () => new Gate()]]) });
  s.onNodeAdd(makeNode('n'));
  const pod = makePod('p', { cpu: '1' });
  s.onPodAdd(pod);
  s.scheduleOne();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(binds, [], 'waiting at Permit');
  assert.equal(s.cache.isAssumedPod(pod), true, 'assumed while waiting');
  s.profiles.get('default-scheduler')!.allowWaitingPod(pod.metadata!.uid!, 'Gate');
  await s.waitForBindings();
  assert.deepEqual(binds, ['p']);

  const failures: string[] = [];
  const broken = new Scheduler({ binder: { bind: async () => { throw new Error('pods "q" is forbidden'); } }, onFailure: (_p, f) => failures.push(`${f.reason}: ${f.message}`) });
  broken.onNodeAdd(makeNode('n'));
  const q = makePod('q', { cpu: '1' });
  broken.onPodAdd(q);
  broken.scheduleOne();
  await broken.waitForBindings();
  assert.deepEqual(failures, ['SchedulerError: pods "q" is forbidden']);
  assert.equal(broken.cache.isAssumedPod(q), false);
  assert.equal(broken.queue.whereIs(q), 'backoff');
});

test('metrics: attempts by result, e2e latency and pending pods by queue on an injected registry', async () => {
  const registry = new Registry();
  let s!: Scheduler;
  s = new Scheduler({ binder: { bind: async (p, n) => s.onPodUpdate(p, bound(p, n)) }, metrics: prometheusSchedulerMetrics(registry) });
  s.onNodeAdd(makeNode('n', { cpu: '1' }));
  s.onPodAdd(makePod('fits', { cpu: '1' }));
  s.onPodAdd(makePod('too-big', { cpu: '2' }));
  s.onPodAdd(makePod('waiting', { spec: { schedulingGates: [{ name: 'g' }] } }));
  while (s.scheduleOne());
  await s.waitForBindings();
  const text = await registry.metrics();
  assert.match(text, /scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} 1/);
  assert.match(text, /scheduler_schedule_attempts_total\{result="unschedulable",profile="default-scheduler"\} 1/);
  assert.match(text, /scheduler_pod_scheduling_sli_duration_seconds_count\{attempts="1"\} 1/);
  assert.match(text, /scheduler_pending_pods\{queue="unschedulable"\} 1/);
  assert.match(text, /scheduler_pending_pods\{queue="gated"\} 1/);
  assert.match(text, /scheduler_pending_pods\{queue="active"\} 0/);
});
