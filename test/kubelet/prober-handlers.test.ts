/**
 * The probe handlers against real servers on 127.0.0.1: HTTP and HTTPS (status codes, redirects, headers,
 * named ports, body limit, timeouts), TCP, gRPC health (SERVING / NOT_SERVING / unknown service / no health
 * service / hang / nothing listening), and exec through a fake CRI ExecSync. Each check reads what the kubelet
 * would put in an Unhealthy event.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { ensureClusterPKI } from '../../src/pki/pki.js';
import { CriError, type ExecSyncResponse, type RuntimeService } from '../../src/kubelet/cri/types.js';
import {
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from '../../src/kubelet/prober/grpc.js';
import { probeContainer, runProbeAction } from '../../src/kubelet/prober/prober.js';
import { tempDir } from '../helpers/tmp.js';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

const pod: Pod = { metadata: { name: 'web-0', namespace: 'default', uid: 'uid-1' }, spec: { containers: [] } };

function target(container: Partial<Container> = {}) {
  return { pod, container: { name: 'web', ...container }, containerId: 'cid-1', podIP: '127.0.0.1' };
}

/** A fake ExecSync: the command's first word picks the behaviour; every call is recorded. */
class FakeRuntime implements Pick<RuntimeService, 'execSync'> {
  calls: Array<{ containerId: string; cmd: string[]; timeout: number }> = [];
  async execSync(containerId: string, cmd: string[], timeout: number): Promise<ExecSyncResponse> {
    this.calls.push({ containerId, cmd, timeout });
    const out = (stdout: string, stderr: string, exitCode: number): ExecSyncResponse => ({
      stdout: Buffer.from(stdout),
      stderr: Buffer.from(stderr),
      exitCode,
    });
    switch (cmd[0]) {
      case 'ok':
        return out(cmd.slice(1).join(' '), '', 0);
      case 'cat':
        return out('', "cat: can't open '/tmp/healthy': No such file or directory\n", 1);
      case 'noisy':
        return out('x'.repeat(20_000), '', 1);
      case 'hang':
        return new Promise(() => {});
      case 'deadline':
        throw new CriError('ExecSync', 4, 'timeout 1s exceeded: context deadline exceeded');
      default:
        throw new CriError('ExecSync', 5, `container "${containerId}" not found`);
    }
  }
}

describe('probe handlers', () => {
  const open = new Set<net.Socket>();
  let httpServer: http.Server;
  let httpsServer: https.Server;
  let port: number;
  let tlsPort: number;
  let seen: http.IncomingHttpHeaders[] = [];
  let dir: { path: string; remove(): Promise<void> };
  const runtime = new FakeRuntime();
  const track = (s: net.Socket): void => {
    open.add(s);
    s.on('close', () => open.delete(s));
  };

  before(async () => {
    const handler: http.RequestListener = (req, res) => {
      seen.push(req.headers);
      const url = new URL(req.url ?? '/', 'http://x');
      const code = /^\/status\/(\d+)$/.exec(url.pathname);
      if (code) {
        res.writeHead(Number(code[1])).end(`answered ${code[1]}`);
      } else if (url.pathname === '/redirect-same') {
        res.writeHead(302, { location: '/status/200' }).end();
      } else if (url.pathname === '/redirect-other') {
        res.writeHead(302, { location: `http://localhost:${port}/status/200` }).end('moved');
      } else if (url.pathname === '/redirect-loop') {
        res.writeHead(302, { location: '/redirect-loop' }).end();
      } else if (url.pathname === '/hang') {
        // never answers
      } else if (url.pathname === '/big') {
        res.writeHead(200);
        res.end('y'.repeat(1024 * 1024));
      } else {
        res.writeHead(200).end('ok');
      }
    };
    httpServer = http.createServer(handler);
    httpServer.on('connection', track);
    port = await listen(httpServer);
    dir = await tempDir('k8ts-prober-');
    const pki = await ensureClusterPKI(dir.path);
    httpsServer = https.createServer({ cert: pki.serving.cert, key: pki.serving.key }, handler);
    httpsServer.on('connection', track);
    tlsPort = await listen(httpsServer);
  });

  after(async () => {
    for (const s of open) s.destroy();
    await new Promise((r) => httpServer.close(r));
    await new Promise((r) => httpsServer.close(r));
    await dir.remove();
  });

  test('httpGet: 200 succeeds with the body; 404 and 500 fail with the status code', async () => {
    const get = (path: string) => runProbeAction({ httpGet: { port, path } }, target(), runtime);
    assert.deepEqual(await get('/status/200'), { result: 'success', output: 'answered 200' });
    assert.deepEqual(await get('/status/204'), { result: 'success', output: '' });
    assert.deepEqual(await get('/status/404'), { result: 'failure', output: 'HTTP probe failed with statuscode: 404' });
    const failed = await probeContainer('liveness', { httpGet: { port, path: '/status/500' } }, target(), runtime);
    assert.equal(failed.result, 'failure');
    assert.equal(failed.event?.reason, 'Unhealthy');
    assert.equal(failed.event?.message, 'Liveness probe failed: HTTP probe failed with statuscode: 500');
  });

  test('httpGet: same-host redirects are followed, a redirect elsewhere is a success with a warning', async () => {
    assert.deepEqual(await runProbeAction({ httpGet: { port, path: '/redirect-same' } }, target(), runtime), {
      result: 'success',
      output: 'answered 200',
    });
    const before = seen.length;
    const other = await probeContainer('readiness', { httpGet: { port, path: '/redirect-other' } }, target(), runtime);
    assert.equal(seen.length - before, 1, 'the redirect to another host name is not followed');
    assert.equal(other.result, 'success');
    assert.deepEqual(other.event, {
      reason: 'ProbeWarning',
      message: 'Readiness probe warning: Probe terminated redirects, Response body: moved',
    });
    const loop = await runProbeAction({ httpGet: { port, path: '/redirect-loop' } }, target(), runtime);
    assert.deepEqual(loop, {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/redirect-loop": stopped after 10 redirects`,
    });
  });

  test('httpGet: kube-probe User-Agent, Accept */*, custom and repeated headers, Host override', async () => {
    seen = [];
    const probe: Probe = {
      httpGet: {
        port,
        path: '/headers?x=1',
        httpHeaders: [
          { name: 'x-custom', value: 'a' },
          { name: 'X-Custom', value: 'b' },
          { name: 'Host', value: 'example.test' },
        ],
      },
    };
    assert.equal((await runProbeAction(probe, target(), runtime)).result, 'success');
    const h = seen[0]!;
    assert.equal(h['user-agent'], 'kube-probe/1.32');
    assert.equal(h.accept, '*/*');
    assert.equal(h['x-custom'], 'a, b');
    assert.equal(h.host, 'example.test');
    seen = [];
    await runProbeAction(
      { httpGet: { port, httpHeaders: [{ name: 'User-Agent', value: 'mine' }, { name: 'Accept', value: '' }] } },
      target(),
      runtime,
    );
    assert.equal(seen[0]!['user-agent'], 'mine');
    assert.equal(seen[0]!.accept, undefined, 'an empty Accept removes the header');
  });

  test('httpGet: a named port resolves against the container ports; an unknown name is an error', async () => {
    const c = { ports: [{ name: 'http', containerPort: port }] };
    assert.equal((await runProbeAction({ httpGet: { port: 'http', path: '/status/200' } }, target(c), runtime)).result, 'success');
    const missing = await probeContainer('readiness', { httpGet: { port: 'metrics' } }, target(c), runtime);
    assert.equal(missing.result, 'failure');
    assert.equal(missing.error?.message, 'port "metrics" not found');
    assert.equal(missing.event?.message, 'Readiness probe errored and resulted in unknown state: port "metrics" not found');
  });

  test('httpGet: HTTPS without certificate verification; host defaults to the pod IP', async () => {
    const ok = await runProbeAction({ httpGet: { port: tlsPort, scheme: 'HTTPS', path: '/status/200' } }, target(), runtime);
    assert.deepEqual(ok, { result: 'success', output: 'answered 200' });
    const refused = await closedPort();
    const r = await runProbeAction({ httpGet: { port: refused, path: '/healthz' } }, target(), runtime);
    assert.deepEqual(r, {
      result: 'failure',
      output: `Get "http://127.0.0.1:${refused}/healthz": dial tcp 127.0.0.1:${refused}: connect: connection refused`,
    });
  });

  test('httpGet: a hanging handler fails at timeoutSeconds; a large body is read only to 10 KiB', async () => {
    const start = Date.now();
    const r = await runProbeAction({ httpGet: { port, path: '/hang' }, timeoutSeconds: 1 }, target(), runtime);
    const took = Date.now() - start;
    assert.ok(took >= 950 && took < 2500, `took ${took} ms`);
    assert.deepEqual(r, {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    const big = await runProbeAction({ httpGet: { port, path: '/big' } }, target(), runtime);
    assert.equal(big.result, 'success');
    assert.equal(big.output.length, 10 * 1024);
  });

  test('tcpSocket: an open port succeeds, a closed one fails as Go words it', async () => {
    assert.deepEqual(await runProbeAction({ tcpSocket: { port } }, target(), runtime), { result: 'success', output: '' });
    const named = target({ ports: [{ name: 'web', containerPort: port }] });
    assert.equal((await runProbeAction({ tcpSocket: { port: 'web' } }, named, runtime)).result, 'success');
    const refused = await closedPort();
    const r = await probeContainer('liveness', { tcpSocket: { port: refused } }, target(), runtime);
    assert.equal(r.result, 'failure');
    assert.equal(r.event?.message, `Liveness probe failed: dial tcp 127.0.0.1:${refused}: connect: connection refused`);
  });

  test('exec: exit 0 succeeds; a non-zero exit fails with the output; $(VAR) expands from the container env', async () => {
    const c = { env: [{ name: 'WHO', value: 'kubelet' }] };
    assert.deepEqual(await runProbeAction({ exec: { command: ['ok', '$(WHO)', '$$(WHO)', '$(NOPE)'] } }, target(c), runtime), {
      result: 'success',
      output: 'kubelet $(WHO) $(NOPE)',
    });
    assert.deepEqual(runtime.calls.at(-1), { containerId: 'cid-1', cmd: ['ok', 'kubelet', '$(WHO)', '$(NOPE)'], timeout: 1 });
    const failed = await probeContainer('liveness', { exec: { command: ['cat', '/tmp/healthy'] } }, target(), runtime);
    assert.equal(failed.event?.message, "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n");
    const noisy = await runProbeAction({ exec: { command: ['noisy'] } }, target(), runtime);
    assert.equal(noisy.output.length, 10 * 1024);
  });

  test('exec: a command still running at timeoutSeconds fails; a runtime error is retried three times', async () => {
    const start = Date.now();
    const r = await probeContainer('startup', { exec: { command: ['hang', '10'] }, timeoutSeconds: 1 }, target(), runtime);
    const took = Date.now() - start;
    assert.ok(took >= 950 && took < 2500, `took ${took} ms`);
    assert.equal(r.result, 'failure');
    assert.equal(r.event?.message, 'Startup probe failed: command "hang 10" timed out');
    assert.equal(runtime.calls.at(-1)!.timeout, 1);
    const d = await runProbeAction({ exec: { command: ['deadline'] } }, target(), runtime);
    assert.deepEqual(d, { result: 'failure', output: 'command "deadline" timed out' });
    const before = runtime.calls.length;
    const gone = await probeContainer('readiness', { exec: { command: ['gone'] } }, target(), runtime);
    assert.equal(runtime.calls.length - before, 3);
    assert.ok(gone.error);
    assert.equal(gone.event?.message, 'Readiness probe errored and resulted in unknown state: ExecSync: container "cid-1" not found');
  });
});

describe('grpc probe', () => {
  const statuses = new Map<string, number>([
    ['', 1],
    ['down', 2],
  ]);
  let server: grpc.Server;
  let bare: grpc.Server;
  let port: number;
  let barePort: number;
  let agents: string[] = [];

  const bind = (s: grpc.Server): Promise<number> =>
    new Promise((resolve, reject) =>
      s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );

  before(async () => {
    server = new grpc.Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: encodeHealthCheckRequest,
          requestDeserialize: decodeHealthCheckRequest,
          responseSerialize: encodeHealthCheckResponse,
          responseDeserialize: decodeHealthCheckResponse,
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, cb: grpc.sendUnaryData<HealthCheckResponse>) => {
          agents.push(String(call.metadata.get('user-agent')[0] ?? ''));
          if (call.request.service === 'hang') return;
          const status = statuses.get(call.request.service);
          if (status === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
          else cb(null, { status });
        },
      },
    );
    port = await bind(server);
    bare = new grpc.Server();
    barePort = await bind(bare);
  });

  after(() => {
    server.forceShutdown();
    bare.forceShutdown();
  });

  const grpcProbe = (p: number, service?: string): Probe => ({ grpc: { port: p, service }, timeoutSeconds: 1 });

  test('SERVING succeeds with the kube-probe user agent; NOT_SERVING and unknown services fail', async () => {
    agents = [];
    assert.deepEqual(await runProbeAction(grpcProbe(port), target(), new FakeRuntime()), {
      result: 'success',
      output: 'service healthy',
    });
    assert.match(agents[0]!, /^kube-probe\/1\.32/);
    const down = await probeContainer('readiness', grpcProbe(port, 'down'), target(), new FakeRuntime());
    assert.equal(down.event?.message, 'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")');
    assert.deepEqual(await runProbeAction(grpcProbe(port, 'other'), target(), new FakeRuntime()), {
      result: 'failure',
      output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
    });
  });

  test('a server without the health service, a hanging check and a closed port fail as kube words them', async () => {
    const bareResult = await runProbeAction(grpcProbe(barePort), target(), new FakeRuntime());
    assert.equal(bareResult.result, 'failure');
    assert.match(bareResult.output, /^error: this server does not implement the grpc health protocol \(grpc\.health\.v1\.Health\): /);
    const hang = await runProbeAction(grpcProbe(port, 'hang'), target(), new FakeRuntime());
    assert.deepEqual(hang, { result: 'failure', output: 'timeout: health rpc did not complete within 1s' });
    const closed = await closedPort();
    const start = Date.now();
    const none = await runProbeAction(grpcProbe(closed), target(), new FakeRuntime());
    assert.ok(Date.now() - start >= 900);
    assert.deepEqual(none, {
      result: 'failure',
      output: `timeout: failed to connect service "127.0.0.1:${closed}" within 1s: context deadline exceeded`,
    });
  });
});
