/**
 * A fake apiserver for controller unit tests: a Client over a transport that records every request and
 * answers it with a handler, and a ControllerContext whose informers are filled by hand (never started).
 */
import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { pino } from 'pino';
import { Client } from '../../src/client/client.js';
import { Discovery } from '../../src/client/discovery.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import type { Transport, TransportRequest, TransportResponse } from '../../src/client/transport.js';
import type { ControllerContext } from '../../src/controllers/context.js';

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}

/** Answers a request: HTTP status and JSON body. */
export type FakeHandler = (req: RecordedRequest) => { status: number; body: unknown };

class FakeTransport implements Transport {
  readonly requests: RecordedRequest[] = [];
  constructor(private readonly handle: FakeHandler) {}

  async request(req: TransportRequest): Promise<TransportResponse> {
    const recorded: RecordedRequest = { method: req.method, path: req.path, body: req.body ? (JSON.parse(req.body.toString('utf8')) as Record<string, unknown>) : undefined };
    this.requests.push(recorded);
    const { status, body } = this.handle(recorded);
    return { status, headers: {}, body: Readable.from([Buffer.from(JSON.stringify(body))]) as unknown as IncomingMessage };
  }

  close(): void {}
}

/** A status answer as kube-apiserver words it. */
export function statusAnswer(code: number, reason: string, message: string): { status: number; body: unknown } {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message } };
}

/** A context over the fake client; events are answered 201 and left out of `requests()`. */
export function fakeContext(handle: FakeHandler): { ctx: ControllerContext; requests: (filter?: (r: RecordedRequest) => boolean) => RecordedRequest[] } {
  const transport = new FakeTransport((req) => (req.path.includes('/events') ? { status: 201, body: req.body ?? {} } : handle(req)));
  const client = new Client(transport);
  const logger = pino({ level: 'silent' });
  const ctx: ControllerContext = {
    client,
    informers: new SharedInformerFactory(client, { logger }),
    discovery: new Discovery(client),
    logger,
    rootCA: '',
  };
  return { ctx, requests: (filter) => transport.requests.filter((r) => !r.path.includes('/events') && (!filter || filter(r))) };
}
