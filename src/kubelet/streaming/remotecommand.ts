/**
 * Bridges kubectl's WebSocket streams to the runtime's SPDY streaming server.
 *
 * - exec/attach: kubectl 1.32 speaks `v5.channel.k8s.io` (or v4): each binary message is one channel byte
 *   (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize) and the data; v5 adds `[255, channel]` = "this channel
 *   is closed" (end of stdin). containerd 1.6 knows no v5, so the kubelet dials it with SPDY
 *   (`v4.channel.k8s.io`: one SPDY stream per channel, `streamType` header, FIN = end of stdin) and copies
 *   between the two. The error channel carries a v1 Status (exit code in causes) and ends the session.
 * - port-forward: kubectl tunnels a whole SPDY session in the WebSocket's binary messages
 *   (`SPDY/3.1+portforward.k8s.io`); it is the session containerd serves on a SPDY upgrade, so the bytes are
 *   piped as they are.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SpdySession, type SpdyStream } from './spdy.js';

/** WebSocket bytes buffered past which the source is paused, and below which it resumes. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

/** Channel numbers of the remotecommand WebSocket protocols. */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** An upgrade the backend accepted: its socket, the protocol it chose, bytes read past its answer. */
export interface Upgraded {
  socket: Duplex;
  protocol: string;
  head: Buffer;
}

/** Error from a backend that refused the upgrade: its HTTP status and answer. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(body || `upgrade refused with ${status}`);
  }
}

/** Dials a SPDY/3.1 upgrade on the runtime's (plain HTTP) streaming URL, offering `protocols`. */
export function dialSPDY(url: string, protocols: string[]): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({
      method: 'POST',
      host: target.hostname,
      port: target.port || 80,
      path: `${target.pathname}${target.search}`,
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocols },
      agent: false,
    });
    req.on('error', reject);
    req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      resolve({ socket, head, protocol: String(res.headers['x-stream-protocol-version'] ?? '') });
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 500, Buffer.concat(chunks).toString().trim())));
    });
    req.end();
  });
}

export interface StdioOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The SPDY side of an exec/attach: one stream per channel, opened in the order client-go opens them. */
export interface RuntimeStreams {
  session: SpdySession;
  error: SpdyStream;
  stdin?: SpdyStream;
  stdout?: SpdyStream;
  stderr?: SpdyStream;
  resize?: SpdyStream;
}

/** Opens the remotecommand streams (v4 over SPDY) on an upgraded connection to the runtime. */
export async function openRuntimeStreams(up: Upgraded, opts: StdioOptions): Promise<RuntimeStreams> {
  if (up.head.length) up.socket.unshift(up.head);
  const session = new SpdySession(up.socket, 'client');
  const open = (type: string): Promise<SpdyStream> => session.openStream({ streamtype: type });
  const streams: RuntimeStreams = { session, error: await open('error') };
  if (opts.stdin) streams.stdin = await open('stdin');
  if (opts.stdout) streams.stdout = await open('stdout');
  if (opts.stderr && !opts.tty) streams.stderr = await open('stderr');
  if (opts.tty) streams.resize = await open('resize');
  return streams;
}

function ended(stream: SpdyStream | undefined): Promise<void> {
  if (!stream || stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

/**
 * Copies between kubectl's WebSocket (v5 or v4 channels) and the runtime's SPDY streams until the command
 * ends: stdout/stderr out, stdin and resizes in, then the error channel's Status and a normal close.
 */
export function bridgeRemoteCommand(ws: WebSocket, protocol: string, streams: RuntimeStreams): Promise<void> {
  const v5 = protocol.startsWith('v5.');
  // Back-pressure both ways: stop reading the runtime while kubectl's socket is full, and stop reading
  // kubectl while the runtime's is.
  const send = (channel: number, data: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true }, () => {
      if (ws.bufferedAmount < LOW_WATER) streams.session.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) streams.session.pause();
  };
  const forward = (stream: SpdyStream | undefined, data: Buffer): void => {
    stream?.write(data);
    if (streams.session.congested(() => ws.resume())) ws.pause();
  };
  ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
    const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    if (msg.length === 0) return;
    const channel = msg[0]!;
    const data = msg.subarray(1);
    if (channel === Channel.stdin && data.length) forward(streams.stdin, data);
    else if (channel === Channel.resize && data.length) forward(streams.resize, data);
    else if (v5 && channel === Channel.close && data[0] === Channel.stdin) streams.stdin?.end();
  });
  streams.stdout?.on('data', (c: Buffer) => send(Channel.stdout, c));
  streams.stderr?.on('data', (c: Buffer) => send(Channel.stderr, c));
  const status: Buffer[] = [];
  streams.error.on('data', (c: Buffer) => status.push(c));
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const body = Buffer.concat(status);
      if (body.length) send(Channel.error, body);
      if (ws.readyState === ws.OPEN) ws.close(1000);
      streams.session.close();
      resolve();
    };
    // kubectl went away (Ctrl-C): end the runtime's session too.
    ws.on('close', () => {
      if (!done) {
        done = true;
        streams.session.close();
        resolve();
      }
    });
    // The runtime ends every stream when it is done (or when its connection drops, which ends them too), and
    // only after their last data was read: then the Status goes last.
    void Promise.all([ended(streams.error), ended(streams.stdout), ended(streams.stderr)]).then(finish);
  });
}

/** Pipes kubectl's tunneled SPDY (WebSocket binary messages) to the runtime's SPDY upgrade, both ways. */
export function tunnelSPDY(ws: WebSocket, up: Upgraded): Promise<void> {
  return new Promise((resolve) => {
    if (up.head.length) ws.send(up.head, { binary: true });
    ws.on('message', (raw: Buffer | ArrayBuffer | Buffer[]) => {
      const msg = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      if (!up.socket.write(msg)) {
        ws.pause();
        up.socket.once('drain', () => ws.resume());
      }
    });
    up.socket.on('data', (c: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(c, { binary: true }, () => {
        if (ws.bufferedAmount < LOW_WATER) up.socket.resume();
      });
      if (ws.bufferedAmount > HIGH_WATER) up.socket.pause();
    });
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      if (ws.readyState === ws.OPEN) ws.close(1000);
      up.socket.destroy();
      resolve();
    };
    up.socket.on('close', close);
    up.socket.on('error', close);
    ws.on('close', close);
    ws.on('error', close);
  });
}
