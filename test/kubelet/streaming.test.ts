/**
 * The streaming wire protocols: the SPDY/3.1 session (header compression across blocks, data, half-close,
 * reset, GOAWAY), and the kubelet's WebSocket side of exec (v5/v4 channels, the v5 close signal, resize,
 * the error channel's Status) bridged to a runtime streaming server that speaks SPDY, as containerd does.
 * The runtime here is a small SPDY server built on the same session, so the test needs no containerd (the
 * e2e test streaming.test.ts runs the same paths against containerd and kubectl).
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { ContainerState, type RuntimeService } from '../../src/kubelet/cri/types.js';
import { KubeletServer } from '../../src/kubelet/server/server.js';
import { SPDY3_DICTIONARY, SpdySession, type SpdyStream } from '../../src/kubelet/streaming/spdy.js';
import { ensureClusterPKI, issueCertificate, type KeyPair } from '../../src/pki/pki.js';
import { componentLogger } from '../../src/util/log.js';
import { tempDir } from '../helpers/tmp.js';

function collect(stream: SpdyStream): Promise<string> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => stream.on('end', () => resolve(Buffer.concat(chunks).toString())));
}

describe('SPDY/3.1 session', () => {
  let server: ReturnType<typeof createNetServer>;
  const accepted: SpdyStream[] = [];
  let serverSession: SpdySession | undefined;

  before(async () => {
    server = createNetServer((socket) => {
      serverSession = new SpdySession(socket, 'server');
      serverSession.on('stream', (s) => {
        accepted.push(s);
        s.reply();
        // Echo each stream's data back with its type, and end when the peer ends.
        const got = collect(s);
        void got.then((text) => s.end(`${s.headers.streamtype}:${text}`));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('uses the 1423-byte SPDY/3 dictionary', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
    assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith('utf-,*,enq=0.'));
  });

  test('streams carry headers (one compression context for many blocks), data and half-closes', async () => {
    const client = new SpdySession(connect((server.address() as AddressInfo).port, '127.0.0.1'), 'client');
    const big = 'x'.repeat(100_000);
    const results: string[] = [];
    for (const type of ['error', 'stdin', 'stdout']) {
      const s = await client.openStream({ streamtype: type, port: '8080', requestid: String(results.length) });
      assert.equal(s.id % 2, 1, 'clients open odd streams');
      const echoed = collect(s);
      s.end(type === 'stdin' ? big : 'hi');
      results.push(await echoed);
    }
    assert.deepEqual(results, ['error:hi', `stdin:${big}`, 'stdout:hi']);
    assert.deepEqual(accepted.map((s) => s.headers), [
      { streamtype: 'error', port: '8080', requestid: '0' },
      { streamtype: 'stdin', port: '8080', requestid: '1' },
      { streamtype: 'stdout', port: '8080', requestid: '2' },
    ]);
    const closed = new Promise<void>((r) => serverSession!.once('close', r));
    client.close();
    await closed;
  });

  test('a reset stream ends on both sides', async () => {
    const client = new SpdySession(connect((server.address() as AddressInfo).port, '127.0.0.1'), 'client');
    const s = await client.openStream({ streamtype: 'data' });
    const ended = new Promise<void>((r) => accepted.at(-1)!.once('close', r));
    s.reset();
    await ended;
    client.close();
  });
});

/** A runtime streaming server speaking SPDY like containerd's: exec streams, a Status on the error stream. */
function fakeRuntime(): { server: Server; sessions: string[]; resizes: string[] } {
  const sessions: string[] = [];
  const resizes: string[] = [];
  const server = createHttpServer();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    sessions.push(`${req.url} ${String(req.headers['x-stream-protocol-version'])}`);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    const session = new SpdySession(socket, 'server');
    const streams: Record<string, SpdyStream> = {};
    session.on('stream', (s) => {
      s.reply();
      streams[s.headers.streamtype!] = s;
      if (s.headers.streamtype === 'resize') s.on('data', (c: Buffer) => resizes.push(c.toString()));
      if (s.headers.streamtype !== 'stdin') return;
      // `tr a-z A-Z; exit 3`: stdin upper-cased to stdout until it ends.
      s.on('data', (c: Buffer) => streams.stdout?.write(c.toString().toUpperCase()));
      s.on('end', () => {
        streams.stdout?.end();
        streams.error!.end(JSON.stringify({ metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: error executing command [tr], exit code 3', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }));
        setTimeout(() => session.close(), 20);
      });
    });
  });
  return { server, sessions, resizes };
}

describe('kubelet exec over WebSocket, bridged to a SPDY runtime', () => {
  let dir: { path: string; remove(): Promise<void> };
  let kubelet: KubeletServer;
  let runtime: ReturnType<typeof fakeRuntime>;
  let client: KeyPair;
  const execCalls: unknown[] = [];

  before(async () => {
    dir = await tempDir('k8ts-stream-');
    const pki = await ensureClusterPKI(dir.path);
    client = await issueCertificate(pki.ca, { subject: 'CN=kube-apiserver-kubelet-client, O=system:masters', usage: 'client' });
    runtime = fakeRuntime();
    await new Promise<void>((r) => runtime.server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(runtime.server.address() as AddressInfo).port}/exec/token`;
    const cri = {
      containerStatus: async () => ({ state: ContainerState.CONTAINER_RUNNING }),
      exec: async (req: unknown) => {
        execCalls.push(req);
        return { url };
      },
    } as unknown as RuntimeService;
    const serving = await issueCertificate(pki.ca, { subject: 'CN=node', usage: 'server', sans: ['127.0.0.1'] });
    kubelet = new KubeletServer({
      host: { runtime: cri, findPod: (ns, name) => (ns === 'default' && name === 'p' ? { uid: 'u', containers: { c: { id: 'cid', running: true } } } : undefined) },
      tls: { cert: serving.cert, key: serving.key, clientCA: pki.ca.cert },
      port: 0,
      address: '127.0.0.1',
      logger: componentLogger('test'),
    });
    await kubelet.start();
  });
  after(async () => {
    await kubelet.stop();
    await new Promise<void>((r) => runtime.server.close(() => r()));
    await dir.remove();
  });

  function open(query: string, protocols: string[]): WebSocket {
    return new WebSocket(`wss://127.0.0.1:${kubelet.port}/exec/default/p/c?${query}`, protocols, { cert: client.cert, key: client.key, rejectUnauthorized: false });
  }

  test('v5: stdin in, the close signal ends stdin, stdout out, then the Status with the exit code and a normal close', async () => {
    const ws = open('command=tr&command=a-z&command=A-Z&input=1&output=1&error=1', ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    const frames: Buffer[] = [];
    ws.on('message', (m: Buffer) => frames.push(m));
    await new Promise((r) => ws.once('open', r));
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    ws.send(Buffer.from([0, ...Buffer.from('hello ')]));
    ws.send(Buffer.from([0, ...Buffer.from('world')]));
    ws.send(Buffer.from([255, 0]));
    const code = await new Promise<number>((r) => ws.once('close', r));
    assert.equal(code, 1000);
    const byChannel = (ch: number): string => Buffer.concat(frames.filter((f) => f[0] === ch).map((f) => f.subarray(1))).toString();
    assert.equal(byChannel(1), 'HELLO WORLD');
    const status = JSON.parse(byChannel(3)) as { reason: string; details: { causes: Array<{ reason: string; message: string }> } };
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
    // The error channel comes last.
    assert.equal(frames.at(-1)![0], 3);
    assert.deepEqual(execCalls.at(-1), { containerId: 'cid', cmd: ['tr', 'a-z', 'A-Z'], tty: false, stdin: true, stdout: true, stderr: true });
    assert.equal(runtime.sessions.at(-1), '/exec/token v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io');
  });

  test('a TTY session passes resizes on channel 4 and has no stderr', async () => {
    const ws = open('command=sh&input=1&output=1&error=1&tty=1', ['v5.channel.k8s.io']);
    await new Promise((r) => ws.once('open', r));
    ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":40}')]));
    ws.send(Buffer.from([0, ...Buffer.from('x')]));
    ws.send(Buffer.from([255, 0]));
    await new Promise((r) => ws.once('close', r));
    assert.deepEqual(runtime.resizes, ['{"Width":120,"Height":40}']);
    assert.deepEqual(execCalls.at(-1), { containerId: 'cid', cmd: ['sh'], tty: true, stdin: true, stdout: true, stderr: false });
  });

  test('v4 is negotiated for clients that only speak v4; unknown protocols are refused before any CRI call', async () => {
    const v4 = open('command=true&output=1', ['v4.channel.k8s.io']);
    await new Promise((r) => v4.once('open', r));
    assert.equal(v4.protocol, 'v4.channel.k8s.io');
    v4.close();
    const calls = execCalls.length;
    const refused = open('command=true&output=1', ['channel.k8s.io']);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res: IncomingMessage) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 400);
    assert.equal(execCalls.length, calls);
  });
});
