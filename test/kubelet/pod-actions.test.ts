import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { ContainerState } from '../../src/kubelet/cri/types.js';
import { computePodActions, type ProbeView } from '../../src/kubelet/kuberuntime/actions.js';
import { Backoff } from '../../src/kubelet/kuberuntime/backoff.js';
import { containerHash } from '../../src/kubelet/kuberuntime/container-hash.js';
import type { PodRuntimeStatus, RuntimeContainer } from '../../src/kubelet/kuberuntime/runtime-status.js';
import { generatePodStatus } from '../../src/kubelet/status/generate.js';

const probes: ProbeView = { shouldRestart: () => undefined, isStarted: () => true };

function pod(spec: Partial<Pod['spec']> & { containers: Container[] }): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'uid-1' }, spec: { restartPolicy: 'Always', ...spec } as Pod['spec'] };
}

let clock = 1000;
function container(c: Container, state: ContainerState, extra: Partial<RuntimeContainer> = {}): RuntimeContainer {
  clock += 10;
  return {
    id: `${c.name}-${clock}`,
    name: c.name,
    sandboxId: 'sb',
    attempt: extra.restartCount ?? 0,
    state,
    createdAtMs: clock,
    startedAtMs: clock,
    finishedAtMs: state === ContainerState.CONTAINER_EXITED ? clock + 5 : 0,
    exitCode: 0,
    reason: '',
    message: '',
    image: c.image ?? '',
    imageRef: 'sha256:x',
    hash: containerHash(c),
    restartCount: 0,
    logPath: '',
    ...extra,
  };
}

function runtime(containers: RuntimeContainer[], sandbox = true): PodRuntimeStatus {
  return {
    uid: 'uid-1',
    sandboxes: sandbox ? [{ id: 'sb', attempt: 0, ready: true, ip: '10.244.0.5', createdAtMs: 1 }] : [],
    containers: [...containers].sort((a, b) => b.createdAtMs - a.createdAtMs),
  };
}

const war: Container = { name: 'war', image: 'sample-war:v2', command: ['cp', '/sample.war', '/app'] };
const web: Container = { name: 'web', image: 'webserver:1.0' };
const log: Container = { name: 'log', image: 'webserver:1.0', restartPolicy: 'Always' };

describe('kubelet computePodActions', () => {
  it('a new pod gets a sandbox and its first init container only', () => {
    const a = computePodActions(pod({ initContainers: [war], containers: [web] }), runtime([], false), probes);
    assert.equal(a.createSandbox, true);
    assert.deepEqual(a.containersToStart.map((c) => [c.container.name, c.kind]), [['war', 'init']]);
  });

  it('a pod without init containers starts every container with its sandbox', () => {
    const a = computePodActions(pod({ containers: [web, { ...web, name: 'b' }] }), runtime([], false), probes);
    assert.deepEqual(a.containersToStart.map((c) => c.container.name), ['web', 'b']);
    assert.equal(a.initialized, true);
  });

  it('waits for a running init container, then starts the containers once it completed', () => {
    const p = pod({ initContainers: [war], containers: [web] });
    assert.deepEqual(computePodActions(p, runtime([container(war, ContainerState.CONTAINER_RUNNING)]), probes).containersToStart, []);
    const a = computePodActions(p, runtime([container(war, ContainerState.CONTAINER_EXITED)]), probes);
    assert.equal(a.initialized, true);
    assert.deepEqual(a.containersToStart.map((c) => c.container.name), ['web']);
  });

  it('restarts a failed init container, or fails the pod under restartPolicy Never', () => {
    const failed = [container(war, ContainerState.CONTAINER_EXITED, { exitCode: 1 })];
    const again = computePodActions(pod({ initContainers: [war], containers: [web] }), runtime(failed), probes);
    assert.deepEqual(again.containersToStart.map((c) => [c.container.name, c.restartCount]), [['war', 1]]);
    const never = computePodActions(pod({ restartPolicy: 'Never', initContainers: [war], containers: [web] }), runtime(failed), probes);
    assert.equal(never.initFailed, true);
    assert.deepEqual(never.containersToStart, []);
  });

  it('starts a sidecar before the next init container and keeps it running with the containers', () => {
    const p = pod({ initContainers: [log, war], containers: [web] });
    const first = computePodActions(p, runtime([], false), probes);
    assert.deepEqual(first.containersToStart.map((c) => [c.container.name, c.kind]), [['log', 'sidecar']]);
    const second = computePodActions(p, runtime([container(log, ContainerState.CONTAINER_RUNNING)]), probes);
    assert.deepEqual(second.containersToStart.map((c) => c.container.name), ['war']);
    const third = computePodActions(p, runtime([container(log, ContainerState.CONTAINER_RUNNING), container(war, ContainerState.CONTAINER_EXITED)]), probes);
    assert.deepEqual(third.containersToStart.map((c) => c.container.name), ['web']);
  });

  it('a sidecar whose startup probe has not passed holds the next init container', () => {
    const p = pod({ initContainers: [log, war], containers: [web] });
    const a = computePodActions(p, runtime([container(log, ContainerState.CONTAINER_RUNNING)]), { ...probes, isStarted: () => false });
    assert.deepEqual(a.containersToStart, []);
  });

  it('restarts only the container whose spec (image) changed', () => {
    const other: Container = { name: 'other', image: 'webserver:1.0' };
    const running = [container(war, ContainerState.CONTAINER_EXITED), container(web, ContainerState.CONTAINER_RUNNING), container(other, ContainerState.CONTAINER_RUNNING)];
    const p = pod({ initContainers: [war], containers: [{ ...web, image: 'webserver:1.1' }, other] });
    const a = computePodActions(p, runtime(running), probes);
    assert.equal(a.createSandbox, false);
    assert.deepEqual(a.containersToStart.map((c) => [c.container.name, c.restartCount]), [['web', 1]]);
    assert.deepEqual([...a.containersToKill.values()].map((k) => k.name), ['web']);
    assert.match([...a.containersToKill.values()][0]!.message, /definition changed/);
  });

  it('follows restartPolicy for exited containers', () => {
    const ok = [container(web, ContainerState.CONTAINER_EXITED, { exitCode: 0 })];
    const bad = [container(web, ContainerState.CONTAINER_EXITED, { exitCode: 2 })];
    const starts = (policy: string, rt: RuntimeContainer[]): string[] => computePodActions(pod({ restartPolicy: policy, containers: [web] }), runtime(rt), probes).containersToStart.map((c) => c.container.name);
    assert.deepEqual(starts('Always', ok), ['web']);
    assert.deepEqual(starts('OnFailure', ok), []);
    assert.deepEqual(starts('OnFailure', bad), ['web']);
    assert.deepEqual(starts('Never', bad), []);
    // Nothing left to run: the sandbox is released.
    assert.equal(computePodActions(pod({ restartPolicy: 'Never', containers: [web] }), runtime(bad), probes).killPod, true);
  });

  it('kills and restarts a container its liveness probe failed', () => {
    const cur = container(web, ContainerState.CONTAINER_RUNNING);
    const a = computePodActions(pod({ containers: [web] }), runtime([cur]), { ...probes, shouldRestart: (id) => (id === cur.id ? { reason: 'LivenessProbe', message: 'Container web failed liveness probe, will be restarted' } : undefined) });
    assert.deepEqual([...a.containersToKill.keys()], [cur.id]);
    assert.deepEqual(a.containersToStart.map((c) => [c.container.name, c.restartCount]), [['web', 1]]);
  });

  it('a dead sandbox is replaced and the containers started again', () => {
    const rt = runtime([container(web, ContainerState.CONTAINER_EXITED)]);
    rt.sandboxes[0]!.ready = false;
    const a = computePodActions(pod({ containers: [web] }), rt, probes);
    assert.equal(a.createSandbox, true);
    assert.equal(a.killPod, true);
    assert.equal(a.sandboxAttempt, 1);
    assert.deepEqual(a.containersToStart.map((c) => c.container.name), ['web']);
  });
});

describe('kubelet crash-loop back-off', () => {
  it('is 10 s, doubling to 5 min, and forgotten after 10 min', () => {
    let now = 0;
    const b = new Backoff(10_000, 300_000, () => now);
    b.next('k', 0);
    assert.equal(b.get('k'), 10_000);
    now = 5_000;
    assert.equal(b.isInBackOffSince('k', 0), true);
    now = 10_001;
    assert.equal(b.isInBackOffSince('k', 0), false);
    for (let i = 0; i < 10; i++) b.next('k', now);
    assert.equal(b.get('k'), 300_000);
    now += 700_000;
    b.next('k', now);
    assert.equal(b.get('k'), 10_000);
  });
});

describe('kubelet pod status', () => {
  const base = { waiting: new Map(), isReady: () => true, isStarted: () => true, terminationMessages: new Map(), hostIP: '10.0.0.1', startTimeMs: Date.now() };

  it('an initializing pod is Pending with Initialized False naming the init container', () => {
    const p = pod({ initContainers: [war], containers: [web] });
    const s = generatePodStatus({ ...base, pod: p, runtime: runtime([container(war, ContainerState.CONTAINER_RUNNING)]) });
    assert.equal(s.phase, 'Pending');
    const init = s.conditions!.find((c) => c.type === 'Initialized')!;
    assert.equal(init.status, 'False');
    assert.equal(init.message, 'containers with incomplete status: [war]');
    assert.equal(s.containerStatuses![0]!.state!.waiting!.reason, 'PodInitializing');
    assert.equal(s.podIP, '10.244.0.5');
  });

  it('a running pod is Running and Ready with its restart counts', () => {
    const p = pod({ initContainers: [war], containers: [web] });
    const s = generatePodStatus({ ...base, pod: p, runtime: runtime([container(war, ContainerState.CONTAINER_EXITED), container(web, ContainerState.CONTAINER_RUNNING, { restartCount: 2 })]) });
    assert.equal(s.phase, 'Running');
    assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
    assert.equal(s.containerStatuses![0]!.restartCount, 2);
    assert.equal(s.initContainerStatuses![0]!.state!.terminated!.reason, 'Completed');
  });

  it('a crash-looping container is waiting with the previous exit as lastState; the pod stays Running', () => {
    const p = pod({ containers: [web] });
    const s = generatePodStatus({
      ...base,
      pod: p,
      waiting: new Map([['web', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=web pod=p_default(uid-1)' }]]),
      runtime: runtime([container(web, ContainerState.CONTAINER_EXITED, { exitCode: 1, reason: 'Error', restartCount: 1 })]),
    });
    assert.equal(s.phase, 'Running');
    assert.equal(s.containerStatuses![0]!.state!.waiting!.reason, 'CrashLoopBackOff');
    assert.equal(s.containerStatuses![0]!.lastState!.terminated!.exitCode, 1);
  });

  it('finished containers give Succeeded or Failed by exit code under restartPolicy Never', () => {
    const ok = generatePodStatus({ ...base, pod: pod({ restartPolicy: 'Never', containers: [web] }), runtime: runtime([container(web, ContainerState.CONTAINER_EXITED)]) });
    assert.equal(ok.phase, 'Succeeded');
    assert.equal(ok.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
    const bad = generatePodStatus({ ...base, pod: pod({ restartPolicy: 'Never', containers: [web] }), runtime: runtime([container(web, ContainerState.CONTAINER_EXITED, { exitCode: 137, reason: 'OOMKilled' })]) });
    assert.equal(bad.phase, 'Failed');
    assert.equal(bad.containerStatuses![0]!.state!.terminated!.reason, 'OOMKilled');
  });

  it('an unready container keeps the pod not Ready with kube\'s message', () => {
    const s = generatePodStatus({ ...base, isReady: () => false, pod: pod({ containers: [web] }), runtime: runtime([container(web, ContainerState.CONTAINER_RUNNING)]) });
    const ready = s.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'ContainersNotReady');
    assert.equal(ready.message, 'containers with unready status: [web]');
  });
});
