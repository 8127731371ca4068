/**
 * The in-process transport, for components running in the apiserver's own process (`k8ts up`).
 *
 * Why this seam: the apiserver's request pipeline (authorization, routing, decoding, admission, defaulting,
 * validation, dry run, conversion, watch, Status errors) lives in one entry point, `APIServer.handle`, that
 * speaks node's IncomingMessage/ServerResponse. Calling the handlers or the registry directly would mean a
 * second path through that pipeline that could drift from the first. Instead each connection here is an
 * in-memory stream pair given to the apiserver's loopback server (`APIServer.loopbackServer`), which runs the
 * very same `handle` with a fixed user; only TLS and kernel sockets are skipped. The cost left is HTTP/1.1
 * framing and JSON, tens of microseconds a request, and the semantics are the HTTPS ones by construction.
 */
import { Agent, type AgentOptions } from 'node:http';
import { Duplex } from 'node:stream';
import { AgentTransport } from './transport.js';

/** What the transport needs of the server: somewhere to hand a new connection. */
export interface LoopbackServer {
  emit(event: 'connection', socket: Duplex): boolean;
}

/** Two in-memory streams joined back to back: what one writes, the other reads. */
export function connectionPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const other = (self: Duplex): Duplex => (ends[0] === self ? ends[1]! : ends[0]!);
  const make = (): Duplex => {
    const end: Duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        other(end).push(chunk);
        cb();
      },
      final(cb) {
        other(end).push(null);
        cb();
      },
      destroy(err, cb) {
        const peer = other(end);
        if (!peer.destroyed) peer.destroy();
        cb(err);
      },
    });
    // What node's http client and server ask of a net.Socket; nothing here has a kernel socket to tune.
    Object.assign(end, {
      setNoDelay: () => end,
      setKeepAlive: () => end,
      setTimeout: () => end,
      ref: () => end,
      unref: () => end,
      remoteAddress: '127.0.0.1',
      remotePort: 0,
      localAddress: '127.0.0.1',
    });
    return end;
  };
  ends.push(make(), make());
  return [ends[0]!, ends[1]!];
}

/** An http Agent whose connections are in-memory pairs whose far end the loopback server serves. */
class LoopbackAgent extends Agent {
  constructor(
    private readonly server: LoopbackServer,
    opts: AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(): Duplex {
    const [client, server] = connectionPair();
    this.server.emit('connection', server);
    return client;
  }
}

/**
 * A transport to an apiserver in this process. No connection limit by default: a watch holds its connection
 * for its whole life, and in-memory connections cost next to nothing.
 */
export function inProcessTransport(server: LoopbackServer, opts: { maxSockets?: number } = {}): AgentTransport {
  const agent = new LoopbackAgent(server, { keepAlive: true, maxSockets: opts.maxSockets ?? Infinity });
  return new AgentTransport(agent, { protocol: 'http:', host: 'k8ts.loopback', port: '80' });
}
