/**
 * The probe manager on real 1 s periods against real servers on 127.0.0.1 and a fake CRI ExecSync: liveness
 * kills after failureThreshold failures and then waits for a new container, readiness needs successThreshold
 * successes, startup gates liveness and readiness (and kills when it fails), initialDelaySeconds counts from
 * the container's start, removePod/stop end the probing. The scenarios run concurrently to keep the file short.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { Registry } from 'prom-client';
import type { ExecSyncResponse, RuntimeService } from '../../src/kubelet/cri/types.js';
import { ProbeManager } from '../../src/kubelet/prober/manager.js';
import type { ProbeEvent, ProbeKillRequest, ProbeResultEvent } from '../../src/kubelet/prober/types.js';
import { until } from '../helpers/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An HTTP server whose /healthz answers 200 or 500 at will, counting what it answered per path. */
class ToggleServer {
  healthy = true;
  readonly hits: Array<{ path: string; status: number; at: number }> = [];
  private readonly server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const status = this.healthy ? 200 : 500;
    this.hits.push({ path, status, at: Date.now() });
    res.writeHead(status).end(this.healthy ? 'ok' : 'unhealthy');
  });
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  count(path: string, status?: number): number {
    return this.hits.filter((h) => h.path === path && (status === undefined || h.status === status)).length;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** A fake ExecSync that answers from a per-command switch. */
class FakeRuntime implements Pick<RuntimeService, 'execSync'> {
  ok = new Map<string, boolean>();
  calls: string[] = [];
  async execSync(_id: string, cmd: string[]): Promise<ExecSyncResponse> {
    this.calls.push(cmd.join(' '));
    if (cmd[0] === 'hang') return new Promise(() => {});
    const ok = this.ok.get(cmd.join(' ')) ?? false;
    return { stdout: Buffer.from(ok ? 'ok' : ''), stderr: Buffer.from(ok ? '' : 'not yet'), exitCode: ok ? 0 : 1 };
  }
}

/** The manager's output, collected. */
class Recorder {
  results: ProbeResultEvent[] = [];
  kills: ProbeKillRequest[] = [];
  events: ProbeEvent[] = [];
  attach(m: ProbeManager): ProbeManager {
    m.on('result', (e) => this.results.push(e));
    m.on('kill', (e) => this.kills.push(e));
    m.on('event', (e) => this.events.push(e));
    return m;
  }
}

function pod(uid: string, containers: Container[], restartPolicy = 'Always'): Pod {
  return { metadata: { name: `pod-${uid}`, namespace: 'probes', uid }, spec: { containers, restartPolicy } };
}

describe('probe manager', { concurrency: true }, () => {
  const servers: ToggleServer[] = [];
  const managers: ProbeManager[] = [];
  const server = async () => {
    const s = await new ToggleServer().start();
    servers.push(s);
    return s;
  };
  const manager = (runtime: Pick<RuntimeService, 'execSync'>, registry?: Registry) => {
    const m = new ProbeManager({ runtime, registry });
    managers.push(m);
    return m;
  };

  after(async () => {
    for (const m of managers) m.stop();
    await Promise.all(servers.map((s) => s.stop()));
  });

  test('liveness: three failures kill the container once, then probing waits for the new instance', async () => {
    const srv = await server();
    const registry = new Registry();
    const rec = new Recorder();
    const m = rec.attach(manager(new FakeRuntime(), registry));
    const p = pod('live', [
      {
        name: 'web',
        ports: [{ name: 'http', containerPort: srv.port }],
        livenessProbe: { httpGet: { port: 'http', path: '/healthz' }, periodSeconds: 1, failureThreshold: 3 },
      },
    ]);
    m.addPod(p, '127.0.0.1');
    m.containerStarted('live', 'web', 'c1', Date.now());
    await until('a healthy liveness probe', () => srv.count('/healthz', 200) >= 1);
    assert.equal(m.result('live', 'web', 'liveness'), 'success');
    srv.healthy = false;
    const kill = await until('a kill request', () => rec.kills[0], 10_000);
    assert.equal(srv.count('/healthz', 500), 3, 'killed after exactly failureThreshold failures');
    const failures = srv.hits.filter((h) => h.status === 500);
    assert.ok(failures[2]!.at - failures[0]!.at >= 1200, 'failures are a period apart');
    assert.deepEqual(kill, {
      podUid: 'live',
      podName: 'pod-live',
      namespace: 'probes',
      containerName: 'web',
      containerId: 'c1',
      reason: 'LivenessProbe',
      message: 'Container web failed liveness probe, will be restarted',
      gracePeriodSeconds: 30,
    });
    const unhealthy = rec.events.filter((e) => e.reason === 'Unhealthy');
    assert.equal(unhealthy.length, 3);
    assert.equal(unhealthy[0]!.message, 'Liveness probe failed: HTTP probe failed with statuscode: 500');
    const failed = rec.results.filter((r) => r.probeType === 'liveness' && r.result === 'failure');
    assert.equal(failed.length, 1, 'the result changed once');
    assert.equal(failed[0]!.message, 'Liveness probe failed: HTTP probe failed with statuscode: 500');

    // On hold: no probing of the container being killed.
    const seen = srv.hits.length;
    await sleep(2200);
    assert.equal(srv.hits.length, seen);
    assert.equal(rec.kills.length, 1);

    // The restarted container is a new instance: probing resumes and its result starts over.
    srv.healthy = true;
    m.containerStarted('live', 'web', 'c2', Date.now());
    assert.equal(m.result('live', 'web', 'liveness'), undefined);
    await until('the new instance probed', () => srv.count('/healthz', 200) >= 2, 5000);
    await until('success for c2', () => m.result('live', 'web', 'liveness') === 'success');

    const metrics = await registry.getSingleMetricAsString('prober_probe_total');
    const series = (result: string) =>
      metrics.split('\n').find((l) => l.includes('probe_type="Liveness"') && l.includes(`result="${result}"`) && l.includes('pod="pod-live"'));
    assert.match(series('failed') ?? '', /container="web".*namespace="probes".* 3$/);
    assert.ok(series('successful'));

    m.removePod('live');
    assert.equal(m.workerCount(), 0);
    const after = srv.hits.length;
    await sleep(1500);
    assert.equal(srv.hits.length, after, 'no probe after removePod');
  });

  test('readiness: false until successThreshold successes, back to false at failureThreshold, never a kill', async () => {
    const srv = await server();
    srv.healthy = false;
    const rec = new Recorder();
    const m = rec.attach(manager(new FakeRuntime()));
    let current: string | undefined = 'r1';
    m.addPod(
      pod('ready', [
        {
          name: 'api',
          readinessProbe: { httpGet: { port: srv.port, path: '/ready' }, periodSeconds: 1, successThreshold: 2, failureThreshold: 1 },
        },
      ]),
      '127.0.0.1',
      () => current,
    );
    assert.equal(m.isReady('ready', 'api'), false);
    await until('two failing readiness probes', () => srv.count('/ready', 500) >= 2);
    assert.equal(m.isReady('ready', 'api'), false);
    assert.equal(m.isStarted('ready', 'api'), true, 'no startup probe: started once running');

    srv.healthy = true;
    const ready = await until('readiness success', () => rec.results.find((r) => r.probeType === 'readiness' && r.result === 'success'));
    assert.equal(srv.count('/ready', 200), 2, 'ready after exactly successThreshold successes');
    assert.equal(ready.containerId, 'r1');
    assert.equal(m.isReady('ready', 'api'), true);

    srv.healthy = false;
    const fails = srv.count('/ready', 500);
    await until('not ready again', () => !m.isReady('ready', 'api'));
    assert.equal(srv.count('/ready', 500), fails + 1, 'failureThreshold 1: one failure is enough');
    assert.equal(rec.kills.length, 0);
    assert.ok(rec.events.some((e) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 500'));

    // The container is gone (the lookup says nothing runs): not ready.
    srv.healthy = true;
    await until('ready', () => m.isReady('ready', 'api'));
    current = undefined;
    assert.equal(m.isReady('ready', 'api'), false);
  });

  test('startup gates liveness and readiness; initialDelaySeconds counts from the container start', async () => {
    const srv = await server();
    // tcpSocket probes show up as bare connections to this listener.
    let tcpConnections = 0;
    const tcp = net.createServer((s) => {
      tcpConnections++;
      s.destroy();
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const tcpPort = (tcp.address() as net.AddressInfo).port;
    try {
      const runtime = new FakeRuntime();
      const m = manager(runtime);
      const started = Date.now();
      m.addPod(
        pod('boot', [
          {
            name: 'app',
            startupProbe: { exec: { command: ['test', '-f', '/started'] }, periodSeconds: 1, failureThreshold: 30 },
            livenessProbe: { tcpSocket: { port: tcpPort }, periodSeconds: 1 },
          },
          {
            name: 'slow',
            livenessProbe: { httpGet: { port: srv.port, path: '/delayed' }, periodSeconds: 1, initialDelaySeconds: 2 },
          },
        ]),
        '127.0.0.1',
      );
      m.containerStarted('boot', 'app', 'a1', started);
      m.containerStarted('boot', 'slow', 's1', started);

      await until('two failed startup probes', () => runtime.calls.length >= 2);
      assert.equal(m.isStarted('boot', 'app'), false);
      assert.equal(m.isReady('boot', 'app'), false, 'not ready before started, even without a readiness probe');
      assert.equal(tcpConnections, 0, 'no liveness probe before the startup probe succeeded');
      runtime.ok.set('test -f /started', true);
      await until('started', () => m.isStarted('boot', 'app'));
      assert.equal(m.isReady('boot', 'app'), true, 'no readiness probe: ready once started');
      await until('liveness probing after startup', () => tcpConnections > 0, 5000);
      const startupRuns = runtime.calls.length;
      await sleep(1200);
      assert.equal(runtime.calls.length, startupRuns, 'startup stops probing once it succeeded');

      await until('delayed liveness probe', () => srv.count('/delayed') > 0, 6000);
      const first = srv.hits.find((h) => h.path === '/delayed')!;
      assert.ok(first.at - started >= 2000, `first delayed probe after ${first.at - started} ms`);
      m.stop();
    } finally {
      await new Promise((r) => tcp.close(r));
    }
  });

  test('startup failure kills without restart under restartPolicy Never; a hanging exec fails at timeoutSeconds', async () => {
    const rec = new Recorder();
    const m = rec.attach(manager(new FakeRuntime()));
    const p = pod(
      'never',
      [{ name: 'job', startupProbe: { exec: { command: ['hang'] }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 } }],
      'Never',
    );
    // A sidecar (restartable init container) is probed too, and always restarted.
    p.spec!.initContainers = [
      {
        name: 'shipper',
        restartPolicy: 'Always',
        livenessProbe: { exec: { command: ['healthy?'] }, periodSeconds: 1, failureThreshold: 1, terminationGracePeriodSeconds: 5 },
      },
    ];
    m.addPod(p, '127.0.0.1');
    m.containerStarted('never', 'job', 'j1', Date.now());
    m.containerStarted('never', 'shipper', 'sh1', Date.now());
    const kill = await until('startup kill', () => rec.kills.find((k) => k.containerName === 'job'), 10_000);
    assert.equal(kill.reason, 'StartupProbe');
    assert.equal(kill.message, 'Container job failed startup probe');
    assert.deepEqual(
      rec.events.filter((e) => e.containerName === 'job').map((e) => e.message),
      ['Startup probe failed: command "hang" timed out', 'Startup probe failed: command "hang" timed out'],
    );
    assert.equal(m.isStarted('never', 'job'), false);
    const sidecarKill = rec.kills.find((k) => k.containerName === 'shipper');
    assert.deepEqual(
      sidecarKill && { reason: sidecarKill.reason, message: sidecarKill.message, grace: sidecarKill.gracePeriodSeconds },
      { reason: 'LivenessProbe', message: 'Init container shipper failed liveness probe', grace: 5 },
    );
    assert.equal(rec.events.find((e) => e.containerName === 'shipper')?.message, 'Liveness probe failed: not yet');
    m.stop();
    assert.equal(m.workerCount(), 0);
  });

  test('a terminating pod: liveness stops quietly (no kill), readiness keeps probing', async () => {
    const runtime = new FakeRuntime();
    const rec = new Recorder();
    const m = rec.attach(manager(runtime));
    const running = pod('bye', [
      {
        name: 'web',
        livenessProbe: { exec: { command: ['alive?'] }, periodSeconds: 1, failureThreshold: 1 },
        readinessProbe: { exec: { command: ['ready?'] }, periodSeconds: 1 },
      },
    ]);
    const p: Pod = { ...running, metadata: { ...running.metadata, deletionTimestamp: new Date().toISOString() } };
    m.addPod(p, '127.0.0.1');
    m.containerStarted('bye', 'web', 'b1', Date.now());
    await until('two readiness probes', () => runtime.calls.filter((c) => c === 'ready?').length >= 2, 6000);
    assert.equal(runtime.calls.filter((c) => c === 'alive?').length, 0);
    assert.equal(rec.kills.length, 0);
    assert.equal(m.workerCount(), 1, 'only the readiness worker is left');
    m.stopLivenessAndStartup('bye');
    m.removePod('bye');
    assert.equal(m.workerCount(), 0);
  });
});
