/**
 * A raw HTTPS client for the apiserver: exactly the bytes, headers and method a test chooses, authenticated
 * with the client certificate of a kubeconfig (or anonymously), trusting the kubeconfig's CA. Tests that
 * check how the server answers bad input use it where kubectl would refuse to send the request at all.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { Agent, request } from 'node:https';
import { readKubeconfig } from '../../src/pki/kubeconfig.js';

/** What came back: the status, the headers and the whole body. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
  /** Without the client certificate. */
  anonymous?: boolean;
  /** Rejects with `RequestTimeout` when the whole answer has not arrived by then (default 10 s). */
  timeoutMs?: number;
}

/** The server did not answer (completely) in time. */
export class RequestTimeout extends Error {
  override readonly name = 'RequestTimeout';
}

export class APIClient {
  private readonly agent: Agent;
  private readonly anonymousAgent: Agent;

  private constructor(
    readonly server: URL,
    tls: { ca: string; cert: string; key: string },
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, ca: tls.ca, cert: tls.cert, key: tls.key });
    this.anonymousAgent = new Agent({ keepAlive: true, maxSockets, ca: tls.ca });
  }

  /** A client for the current context of the kubeconfig at `path`. */
  static async fromKubeconfig(path: string, opts: { maxSockets?: number } = {}): Promise<APIClient> {
    const { server, ...tls } = readKubeconfig(path);
    return new APIClient(server, tls, opts.maxSockets ?? 16);
  }


  /** Sends one request; resolves with whatever status came back, rejects only when no full answer came. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : opts.body;
    const headers: OutgoingHttpHeaders = { ...opts.headers };
    // Node frames a body without Content-Length as chunked only for methods that usually carry one.
    if (body && !opts.chunked) headers['Content-Length'] = body.length;
    if (body && opts.chunked) headers['Transfer-Encoding'] = 'chunked';
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const req = request(
        {
          host: this.server.hostname,
          port: this.server.port,
          method,
          path,
          headers,
          agent: opts.anonymous ? this.anonymousAgent : this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
          res.on('error', (err) => settle(() => reject(err)));
        },
      );
      const timer = setTimeout(() => {
        settle(() => reject(new RequestTimeout(`${method} ${path.slice(0, 200)}: no complete answer in ${timeoutMs} ms`)));
        req.destroy();
      }, timeoutMs);
      // Once the answer is in, a reset while the rest of a refused body is still being sent is not a failure.
      req.on('error', (err) => settle(() => reject(err)));
      if (body && opts.chunked) {
        const piece = 64 * 1024;
        for (let i = 0; i < body.length; i += piece) req.write(body.subarray(i, i + piece));
        req.end();
      } else {
        req.end(body);
      }
    });
  }

  /** Sends a JSON body (when given) and parses the JSON answer. */
  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; object: T }> {
    const reply = await this.request(method, path, {
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: reply.status, object: JSON.parse(reply.body.toString('utf8')) as T };
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
    this.anonymousAgent.destroy();
  }
}
