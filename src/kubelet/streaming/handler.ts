/**
 * Serves the kubelet's streaming requests (exec, attach, port-forward) by handing them to the container
 * runtime's streaming server, as the kubelet does: it asks CRI for a one-time URL (Exec/Attach/PortForward)
 * and proxies the client's upgrade to it.
 *
 * kubectl 1.32 first asks for a WebSocket (`v5.channel.k8s.io` for exec/attach, SPDY tunneled in a WebSocket
 * for port-forward) and falls back to a plain SPDY/3.1 upgrade when that is refused. containerd 1.6's
 * streaming server speaks SPDY (every remotecommand version up to v4, and port-forward) but knows no v5 and
 * no tunneling. So the kubelet terminates the WebSocket itself and dials the runtime with SPDY
 * (remotecommand.ts: v5/v4 channels <-> SPDY streams; the tunneled port-forward session is piped as is),
 * while SPDY upgrades (kubectl's fallback, older clients) go straight through to the runtime.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ContainerState, type RuntimeService } from '../cri/types.js';
import { errorAnswer, HTTPError } from '../server/errors.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { bridgeRemoteCommand, dialSPDY, openRuntimeStreams, tunnelSPDY, UpgradeRefused, type RuntimeStreams, type Upgraded } from './remotecommand.js';
import { proxyUpgrade, writeRawResponse } from './upgrade-proxy.js';

interface StdioRequest {
  containerId: string;
  /** For messages (`container not found ("x")`). */
  containerName: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A streaming request resolved to the runtime's objects. */
export type StreamRequest =
  | ({ kind: 'exec'; command: string[] } & StdioRequest)
  | ({ kind: 'attach' } & StdioRequest)
  | { kind: 'portforward'; sandboxId: string; ports: number[] };

/** The WebSocket subprotocols of remotecommand and port-forward. */
export const WEBSOCKET_PROTOCOLS = {
  v5: 'v5.channel.k8s.io',
  v4: 'v4.channel.k8s.io',
  tunneledSPDY: 'SPDY/3.1+portforward.k8s.io',
} as const;

/** True for a WebSocket upgrade request (Upgrade: websocket). */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** True for a SPDY/3.1 upgrade request. */
export function isSPDYRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase().startsWith('spdy/3.1');
}

/** The remotecommand versions a runtime's SPDY server is offered (containerd 1.6 serves up to v4). */
const RUNTIME_REMOTECOMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/**
 * `SPDY/3.1+portforward.k8s.io` is not an RFC 7230 token ('/' is a separator), which the ws library checks
 * protocols against: the request's header is swapped for this stand-in before the handshake, and the
 * answer names the real protocol again (what kubectl checks).
 */
const TUNNELED_SPDY_TOKEN = 'k8ts.tunneled-spdy';

/** The protocols a WebSocket client may ask for, by kind, in our order of preference. */
function websocketProtocolFor(stream: StreamRequest, asked: string[]): string | undefined {
  const offered = stream.kind === 'portforward' ? [WEBSOCKET_PROTOCOLS.tunneledSPDY] : [WEBSOCKET_PROTOCOLS.v5, WEBSOCKET_PROTOCOLS.v4];
  return offered.find((p) => asked.includes(p));
}

export class StreamingHandler {
  private readonly open = new Set<Duplex>();
  private readonly websockets = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // Requests get here only with a protocol we serve (checked first): pick it again, in our preference.
    handleProtocols: (asked: Set<string>) =>
      asked.has(TUNNELED_SPDY_TOKEN) ? WEBSOCKET_PROTOCOLS.tunneledSPDY : ([WEBSOCKET_PROTOCOLS.v5, WEBSOCKET_PROTOCOLS.v4].find((p) => asked.has(p)) ?? false),
  });

  constructor(
    private readonly runtime: RuntimeService,
    private readonly log: Logger,
  ) {}

  async serve(stream: StreamRequest, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (isWebSocketRequest(req)) {
      await this.serveWebSocket(stream, req, socket, head);
      return;
    }
    if (!isSPDYRequest(req)) {
      writeRawResponse(socket, 400, 'Bad Request', `unable to upgrade: unsupported protocol ${String(req.headers.upgrade ?? '')}`);
      return;
    }
    const url = await this.runtimeURL(stream);
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    this.log.debug({ kind: stream.kind, url }, 'proxying stream to the runtime');
    await proxyUpgrade(req, socket, head, { url: new URL(url) });
  }

  private async serveWebSocket(stream: StreamRequest, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const asked = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
    const protocol = websocketProtocolFor(stream, asked);
    if (!protocol) {
      // Refused before any CRI call: kubectl falls back to SPDY on any non-101 answer.
      writeRawResponse(socket, 400, 'Bad Request', `unable to upgrade: requested protocol(s) are not supported: [${asked.join(' ')}]`);
      return;
    }
    // The runtime first, so its refusal is still an HTTP answer the client can read.
    let upgraded: Upgraded;
    try {
      const url = await this.runtimeURL(stream);
      upgraded = await dialSPDY(url, stream.kind === 'portforward' ? ['portforward.k8s.io'] : RUNTIME_REMOTECOMMAND_PROTOCOLS);
    } catch (err) {
      const answer = err instanceof UpgradeRefused ? { status: err.status, body: err.body, contentType: 'text/plain; charset=utf-8' } : errorAnswer(err);
      writeRawResponse(socket, answer.status, 'Error', answer.body, answer.contentType);
      return;
    }
    this.open.add(upgraded.socket);
    upgraded.socket.once('close', () => this.open.delete(upgraded.socket));
    // The runtime's streams are opened before the WebSocket is accepted, so nothing kubectl sends first
    // (stdin, a resize) arrives before there is somewhere to put it.
    let streams: RuntimeStreams | undefined;
    if (stream.kind !== 'portforward') {
      try {
        streams = await openRuntimeStreams(upgraded, stream);
      } catch (err) {
        upgraded.socket.destroy();
        writeRawResponse(socket, 500, 'Internal Server Error', `error opening the runtime's streams: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }
    if (protocol === WEBSOCKET_PROTOCOLS.tunneledSPDY) req.headers['sec-websocket-protocol'] = TUNNELED_SPDY_TOKEN;
    // A handshake ws refuses (a malformed request) is answered by ws and closes the socket.
    const ws = await new Promise<WebSocket | undefined>((resolve) => {
      socket.once('close', () => resolve(undefined));
      this.websockets.handleUpgrade(req, socket, head, resolve);
    });
    if (!ws) {
      upgraded.socket.destroy();
      return;
    }
    this.log.debug({ kind: stream.kind, protocol, runtimeProtocol: upgraded.protocol }, 'bridging WebSocket stream to the runtime');
    if (streams) await bridgeRemoteCommand(ws, protocol, streams);
    else await tunnelSPDY(ws, upgraded);
  }

  private async runtimeURL(stream: StreamRequest): Promise<string> {
    if (stream.kind !== 'portforward') {
      // As the kubelet finds the container among the running ones first (its state may have just changed).
      const status = await this.runtime.containerStatus(stream.containerId).catch(() => undefined);
      if (status?.state !== ContainerState.CONTAINER_RUNNING) throw new HTTPError(500, `container not found ("${stream.containerName}")`);
    }
    switch (stream.kind) {
      case 'exec':
        return (await this.runtime.exec({ containerId: stream.containerId, cmd: stream.command, tty: stream.tty, stdin: stream.stdin, stdout: stream.stdout, stderr: stream.stderr })).url;
      case 'attach':
        return (await this.runtime.attach({ containerId: stream.containerId, tty: stream.tty, stdin: stream.stdin, stdout: stream.stdout, stderr: stream.stderr })).url;
      case 'portforward':
        return (await this.runtime.portForward({ podSandboxId: stream.sandboxId, port: stream.ports })).url;
    }
  }

  /** Ends every stream in flight (server shutdown). */
  closeAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}
