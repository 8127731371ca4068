/**
 * Our SPDY/3.1 session in the server role against kubectl 1.32's own SPDY client (moby/spdystream):
 * `kubectl port-forward` through the k8ts apiserver to a kubelet stand-in whose port-forward server is built
 * on SpdySession, over both transports kubectl uses (SPDY tunneled in a WebSocket, and the plain SPDY/3.1
 * upgrade it falls back to). Each forwarded connection is an error+data stream pair (headers streamType,
 * port, requestID) that the stand-in connects to a local echo server. No containers needed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { SpdySession, type SpdyStream } from '../../src/kubelet/streaming/spdy.js';
import { issueCertificate } from '../../src/pki/pki.js';
import { KUBECTL, startCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';

/** The port-forward protocol's server side: pair each data stream with its error stream, then connect. */
function servePortForward(session: SpdySession, target: number, seen: Array<Record<string, string>>): void {
  const errors = new Map<string, SpdyStream>();
  session.on('stream', (stream) => {
    seen.push(stream.headers);
    stream.reply();
    const id = stream.headers.requestid ?? '';
    if (stream.headers.streamtype === 'error') {
      errors.set(id, stream);
      stream.resume();
      return;
    }
    // kubectl asked for the pod's port; the stand-in's "pod" is the echo server.
    const conn = connect(target, '127.0.0.1');
    conn.on('error', (err) => errors.get(id)?.end(`error forwarding port ${stream.headers.port}: ${err.message}`));
    stream.pipe(conn);
    conn.pipe(stream);
  });
}

describe('kubectl port-forward against our SPDY server session (SPDY tunneled in a WebSocket, and plain SPDY)', () => {
  let cluster: TestCluster;
  let kubelet: Server;
  let echo: NetServer;
  const upgrades: string[] = [];
  const seen: Array<Record<string, string>> = [];

  before(async () => {
    echo = createNetServer((c) => c.on('data', (d: Buffer) => c.write(`echo:${d.toString()}`)));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const target = (echo.address() as AddressInfo).port;
    cluster = await startCluster();
    const ca = { cert: await readFile(join(cluster.dataDir, 'pki', 'ca.crt'), 'utf8'), key: await readFile(join(cluster.dataDir, 'pki', 'ca.key'), 'utf8') };
    const serving = await issueCertificate(ca, { subject: 'CN=pf-node', usage: 'server', sans: ['127.0.0.1'] });
    const websockets = new WebSocketServer({ noServer: true, handleProtocols: () => 'SPDY/3.1+portforward.k8s.io' });
    kubelet = createHttpsServer({ cert: serving.cert, key: serving.key });
    kubelet.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgrades.push(`${req.url} ${req.headers.upgrade} ${req.headers['sec-websocket-protocol'] ?? req.headers['x-stream-protocol-version']}`);
      if (String(req.headers.upgrade).toLowerCase() === 'websocket') {
        // ws refuses the '/' in the protocol name: hand it a token, answer with the real name.
        req.headers['sec-websocket-protocol'] = 'tunneled';
        websockets.handleUpgrade(req, socket, head, (ws) => servePortForward(new SpdySession(createWebSocketStream(ws), 'server'), target, seen));
        return;
      }
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
      if (head.length) socket.unshift(head);
      servePortForward(new SpdySession(socket, 'server'), target, seen);
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pf-node' } };
    assert.equal((await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(node) })).code, 0);
    const status = { status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: (kubelet.address() as AddressInfo).port } } } };
    assert.equal((await cluster.kubectl(['patch', 'node', 'pf-node', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)])).code, 0);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'pf-node', containers: [{ name: 'c', image: 'x' }] } };
    assert.equal((await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) })).code, 0);
    assert.equal((await cluster.kubectl(['patch', 'pod', 'p', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running"}}'])).code, 0);
  });

  after(async () => {
    kubelet?.closeAllConnections();
    await new Promise<void>((r) => (kubelet ? kubelet.close(() => r()) : r()));
    await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
    await cluster?.stop();
  });

  async function forward(env: NodeJS.ProcessEnv): Promise<void> {
    const child = spawn(KUBECTL, ['--kubeconfig', cluster.kubeconfig, 'port-forward', 'pod/p', ':7000'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      const port = Number(await until('port-forward to listen', () => /Forwarding from 127\.0\.0\.1:(\d+) -> 7000/.exec(out)?.[1], 20_000));
      // Two connections one after the other: two stream pairs on one session, new header blocks each time.
      for (const word of ['one', 'two']) {
        const answer = await new Promise<string>((resolve, reject) => {
          const c = connect(port, '127.0.0.1', () => c.write(word));
          c.on('data', (d: Buffer) => {
            resolve(d.toString());
            c.end();
          });
          c.on('error', reject);
        });
        assert.equal(answer, `echo:${word}`);
      }
    } finally {
      child.kill('SIGINT');
    }
  }

  test('tunneled in a WebSocket (kubectl 1.32 default)', async () => {
    await forward({});
    assert.match(upgrades.at(-1)!, /^\/portForward\/default\/p websocket SPDY\/3\.1\+portforward\.k8s\.io$/);
    const pairs = seen.filter((h) => h.streamtype === 'data');
    assert.equal(pairs.length, 2);
    assert.deepEqual(
      seen.slice(0, 2).map((h) => [h.streamtype, h.port, h.requestid]),
      [
        ['error', '7000', '0'],
        ['data', '7000', '0'],
      ],
    );
  });

  test('plain SPDY/3.1 upgrade (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)', async () => {
    seen.length = 0;
    await forward({ KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    assert.match(upgrades.at(-1)!, /^\/portForward\/default\/p SPDY\/3\.1 portforward\.k8s\.io$/);
    assert.equal(seen.filter((h) => h.streamtype === 'data').length, 2);
  });
});
