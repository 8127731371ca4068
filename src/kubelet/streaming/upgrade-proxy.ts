/**
 * An upgrade-aware reverse proxy, as kube's proxy.UpgradeAwareHandler: plain requests are forwarded and
 * their answers streamed back unbuffered (`logs -f`); upgrade requests (SPDY/3.1, WebSocket) are forwarded
 * with their Upgrade headers and, once the backend answers `101 Switching Protocols`, the two connections are
 * piped together byte for byte. A backend that refuses the upgrade has its answer passed on as is, so the
 * client can fall back (kubectl goes from WebSocket to SPDY on a non-101 answer).
 *
 * Used by the apiserver (to the kubelet, over TLS with its client certificate) and by the kubelet (to the
 * runtime's streaming server).
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';

export interface ProxyTarget {
  url: URL;
  /** TLS options for an https target (client certificate, CA, rejectUnauthorized). */
  tls?: ConnectionOptions;
  /** Headers to set on the forwarded request (replacing the client's of the same name). */
  headers?: Record<string, string>;
}

/** Headers that describe one hop, never forwarded (Connection/Upgrade are re-added for upgrades). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization']);

function forwardedHeaders(req: IncomingMessage, target: ProxyTarget, upgrade: boolean): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (HOP_BY_HOP.has(name) || value === undefined) continue;
    out[name] = value;
  }
  if (upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = req.headers.upgrade ?? '';
  }
  for (const [name, value] of Object.entries(target.headers ?? {})) out[name.toLowerCase()] = value;
  out.host = target.url.host;
  return out;
}

function send(target: ProxyTarget, method: string, headers: IncomingHttpHeaders): ReturnType<typeof httpRequest> {
  const secure = target.url.protocol === 'https:' || target.url.protocol === 'wss:';
  const options = {
    method,
    host: target.url.hostname.replace(/^\[|\]$/g, ''),
    port: target.url.port || (secure ? 443 : 80),
    path: `${target.url.pathname}${target.url.search}`,
    headers,
    agent: false as const,
  };
  return secure ? httpsRequest({ ...options, ...target.tls }) : httpRequest(options);
}

/** An HTTP answer written on a raw socket. */
export interface RawAnswer {
  status: number;
  statusText: string;
  body: string;
  contentType?: string;
}

/** Writes a plain HTTP answer on a raw (not yet upgraded) socket and closes it. */
export function writeRawResponse(socket: Duplex, status: number, statusText: string, body: string, contentType = 'text/plain; charset=utf-8'): void {
  if (socket.destroyed) return;
  const payload = Buffer.from(body);
  socket.end(
    Buffer.concat([
      Buffer.from(`HTTP/1.1 ${status} ${statusText}\r\nContent-Type: ${contentType}\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`),
      payload,
    ]),
  );
}

function rawHead(res: IncomingMessage): Buffer {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

/**
 * Proxies an upgrade request (the server's 'upgrade' event: `req`, its socket and the bytes read past the
 * head) to `target`. Resolves once the exchange is over (both sides closed, or the backend refused).
 * `onRefused` may rewrite a refused answer (e.g. into a Status); by default it is passed on unchanged.
 */
export function proxyUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: ProxyTarget,
  onRefused?: (res: IncomingMessage, body: Buffer) => RawAnswer | undefined,
  onDialError?: (err: Error) => RawAnswer,
): Promise<void> {
  return new Promise((resolve) => {
    const upstream = send(target, req.method ?? 'GET', forwardedHeaders(req, target, true));
    const fail = (err: Error): void => {
      const answer = onDialError?.(err) ?? { status: 502, statusText: 'Bad Gateway', body: `error dialing backend: ${err.message}` };
      writeRawResponse(socket, answer.status, answer.statusText, answer.body, answer.contentType);
      resolve();
    };
    upstream.on('error', fail);
    socket.on('error', () => upstream.destroy());
    upstream.on('upgrade', (res, backend, upgradeHead) => {
      upstream.off('error', fail);
      socket.write(rawHead(res));
      if (upgradeHead.length) socket.write(upgradeHead);
      if (head.length) backend.write(head);
      let closed = 0;
      const done = (): void => {
        if (++closed === 2) resolve();
      };
      backend.on('error', () => socket.destroy());
      socket.on('error', () => backend.destroy());
      backend.on('close', () => {
        socket.end();
        done();
      });
      socket.on('close', () => {
        backend.destroy();
        done();
      });
      backend.pipe(socket);
      socket.pipe(backend);
    });
    upstream.on('response', (res) => {
      // Refused: pass the answer on and close (the client may retry with another protocol).
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const rewritten = onRefused?.(res, body);
        if (rewritten) {
          writeRawResponse(socket, rewritten.status, rewritten.statusText, rewritten.body, rewritten.contentType);
        } else {
          const headers = res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
          const type = headers.includes('content-type') ? String(res.headers['content-type']) : 'text/plain; charset=utf-8';
          writeRawResponse(socket, res.statusCode ?? 502, res.statusMessage ?? '', body.toString(), type);
        }
        resolve();
      });
      res.on('error', () => resolve());
    });
    upstream.end();
  });
}

/**
 * Proxies a plain request to `target` and streams the answer back as it comes (chunked, flushed per
 * chunk, so `logs -f` lines arrive as written). `onError` may turn a non-2xx answer into another one.
 */
export function proxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: ProxyTarget,
  onError?: (status: number, body: Buffer) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const upstream = send(target, req.method ?? 'GET', forwardedHeaders(req, target, false));
    upstream.on('error', (err) => {
      if (!res.headersSent) {
        if (onError) onError(502, Buffer.from(`error trying to reach service: ${err.message}`));
        else {
          res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`error trying to reach service: ${err.message}`);
        }
      } else res.destroy();
      resolve();
    });
    // The client went away (Ctrl-C on `logs -f`): stop the backend's stream too.
    res.on('close', () => upstream.destroy());
    upstream.on('response', (backend) => {
      const status = backend.statusCode ?? 502;
      if ((status < 200 || status > 299) && onError) {
        const chunks: Buffer[] = [];
        backend.on('data', (c: Buffer) => chunks.push(c));
        backend.on('end', () => {
          onError(status, Buffer.concat(chunks));
          resolve();
        });
        return;
      }
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(backend.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length') headers[name] = value;
      }
      res.writeHead(status, headers);
      res.flushHeaders();
      backend.on('data', (c: Buffer) => {
        if (!res.write(c)) {
          backend.pause();
          res.once('drain', () => backend.resume());
        }
      });
      backend.on('end', () => {
        res.end();
        resolve();
      });
      backend.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    req.pipe(upstream);
  });
}
