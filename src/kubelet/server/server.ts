/**
 * The kubelet's HTTPS server (port 10250): what the apiserver reaches for `kubectl logs`, `exec`, `attach`
 * and `port-forward`. Clients authenticate with a certificate signed by the cluster CA (the apiserver's
 * kubelet client certificate) or, optionally, a bearer token checked by a callback.
 *
 * Routes, as the kubelet's: GET /healthz, GET /containerLogs/{ns}/{pod}/{container},
 * /exec/{ns}/{pod}/{container}?command=..&input=1&output=1&error=1&tty=1, /attach/{ns}/{pod}/{container},
 * /portForward/{ns}/{pod}, GET /stats/summary. Streams are served by `StreamingHandler` (src/kubelet/streaming/).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { writeRawResponse } from '../streaming/upgrade-proxy.js';
import { StreamingHandler, type StreamRequest } from '../streaming/handler.js';
import type { KubeletServerHost } from './host.js';
import { errorAnswer, HTTPError } from './errors.js';
import { serveContainerLogs } from './logs-handler.js';

/** kubelet's --port default. */
export const DEFAULT_KUBELET_PORT = 10250;

export interface KubeletServerOptions {
  host: KubeletServerHost;
  /** The serving certificate and key (PEM), and the CA that signs accepted client certificates. */
  tls: { cert: string; key: string; clientCA: string };
  /** 10250 by default; 0 picks a free port (tests). */
  port?: number;
  /** Default 0.0.0.0. */
  address?: string;
  /** Optional bearer-token check (kube's webhook token authentication): true when the token is accepted. */
  authenticateToken?: (token: string) => boolean | Promise<boolean>;
  logger: Logger;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error' };

export class KubeletServer {
  private server: Server | undefined;
  private readonly streaming: StreamingHandler;
  private readonly log: Logger;

  constructor(private readonly opts: KubeletServerOptions) {
    this.log = opts.logger;
    this.streaming = new StreamingHandler(opts.host.runtime, opts.logger);
  }

  async start(): Promise<void> {
    const server = createServer({
      cert: this.opts.tls.cert,
      key: this.opts.tls.key,
      ca: this.opts.tls.clientCA,
      requestCert: true,
      // Checked per request: a token may stand in for a certificate.
      rejectUnauthorized: false,
    });
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handleUpgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? DEFAULT_KUBELET_PORT, this.opts.address ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** The bound port (tests ask for 0). */
  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    this.streaming.closeAll();
    await closed;
  }

  private async authenticated(req: IncomingMessage): Promise<boolean> {
    if ((req.socket as TLSSocket).authorized) return true;
    const auth = req.headers.authorization;
    if (this.opts.authenticateToken && auth?.startsWith('Bearer ')) return this.opts.authenticateToken(auth.slice(7).trim());
    return false;
  }

  private route(req: IncomingMessage): { kind: string; parts: string[]; query: URLSearchParams } {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const [kind = '', ...parts] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    return { kind, parts, query: url.searchParams };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!(await this.authenticated(req))) throw new HTTPError(401, 'Unauthorized');
      const { kind, parts, query } = this.route(req);
      switch (kind) {
        case 'healthz':
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('ok');
          return;
        case 'containerLogs':
          if (req.method !== 'GET') throw new HTTPError(405, `method ${req.method} not allowed`);
          await serveContainerLogs(this.opts.host, res, parts, query);
          return;
        case 'stats':
          // The Summary API (stats/v1alpha1), as metrics-server reads it from /stats/summary.
          if (parts[0] !== 'summary' || !this.opts.host.summary) throw new HTTPError(404, '404 page not found');
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(await this.opts.host.summary()));
          return;
        case 'exec':
        case 'attach':
        case 'portForward':
          throw new HTTPError(400, 'Upgrade request required');
        default:
          throw new HTTPError(404, '404 page not found');
      }
    } catch (err) {
      const answer = errorAnswer(err);
      if (answer.status >= 500) this.log.error({ err, url: req.url }, 'kubelet server request failed');
      if (!res.headersSent) {
        res.writeHead(answer.status, { 'Content-Type': answer.contentType });
        res.end(answer.body);
      } else res.destroy();
    }
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    try {
      if (!(await this.authenticated(req))) throw new HTTPError(401, 'Unauthorized');
      const { kind, parts, query } = this.route(req);
      const stream = this.streamRequest(kind, parts, query);
      await this.streaming.serve(stream, req, socket, head);
    } catch (err) {
      const answer = errorAnswer(err);
      if (answer.status >= 500) this.log.error({ err, url: req.url }, 'kubelet streaming request failed');
      writeRawResponse(socket, answer.status, STATUS_TEXT[answer.status] ?? 'Error', answer.body, answer.contentType);
    }
  }

  /** Resolves the pod and container of a streaming request, with the kubelet's errors. */
  private streamRequest(kind: string, parts: string[], query: URLSearchParams): StreamRequest {
    if (kind !== 'exec' && kind !== 'attach' && kind !== 'portForward') throw new HTTPError(404, '404 page not found');
    const [namespace, podName] = parts;
    // exec and attach also accept /{ns}/{pod}/{uid}/{container}, as the kubelet's routes do.
    const container = parts.length >= 4 ? parts[3] : parts[2];
    if (!namespace || !podName) throw new HTTPError(400, 'namespace and pod are required');
    const pod = this.opts.host.findPod(namespace, podName);
    if (!pod) throw new HTTPError(404, `pod "${podName}" does not exist`);
    if (kind === 'portForward') {
      if (!pod.sandboxId) throw new HTTPError(500, `pod sandbox for pod "${podName}" not found`);
      const ports = query.getAll('port').map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
      return { kind: 'portforward', sandboxId: pod.sandboxId, ports };
    }
    if (!container) throw new HTTPError(400, 'container is required');
    const c = pod.containers[container];
    if (!c?.id || !c.running) throw new HTTPError(500, `container not found ("${container}")`);
    const flag = (name: string): boolean => ['1', 'true'].includes(query.get(name) ?? '');
    const tty = flag('tty');
    const base = { containerId: c.id, containerName: container, stdin: flag('input'), stdout: flag('output'), stderr: flag('error') && !tty, tty };
    if (kind === 'attach') return { kind: 'attach', ...base };
    const command = query.getAll('command');
    if (command.length === 0) throw new HTTPError(400, 'you must specify at least 1 command');
    return { kind: 'exec', ...base, command };
  }
}
