/**
 * How requests reach the apiserver. A transport sends one HTTP request and hands back the answer as a stream
 * (a watch is an answer that keeps coming). The client above it is the same whichever transport carries it;
 * both transports here are node's http client over an Agent, differing only in what a connection is.
 */
import type { Agent as HTTPAgent, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface TransportRequest {
  method: string;
  /** The path with its query string (`/api/v1/namespaces/a/pods?limit=500`). */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: Buffer;
  /** Aborts the request (and the reading of its answer). */
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it arrives; destroy it to abandon the answer (a watch's stop). */
  body: IncomingMessage;
}

export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  /** Closes kept-alive connections. */
  close(): void;
}

/** A transport that sends over an Agent (TLS sockets, or in-memory connections). */
export class AgentTransport implements Transport {
  constructor(
    private readonly agent: HTTPAgent,
    private readonly target: { protocol: 'http:' | 'https:'; host: string; port: string },
  ) {}

  request(req: TransportRequest): Promise<TransportResponse> {
    const send = this.target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: OutgoingHttpHeaders = { ...req.headers };
    if (req.body) headers['Content-Length'] = req.body.length;
    return new Promise((resolve, reject) => {
      const r = send(
        {
          host: this.target.host,
          port: this.target.port,
          method: req.method,
          path: req.path,
          headers,
          agent: this.agent,
          ...(req.signal ? { signal: req.signal } : {}),
        },
        (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      r.on('error', reject);
      r.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
