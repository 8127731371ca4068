/**
 * A minimal SPDY/3.1 session, the framing Kubernetes' streaming uses (moby/spdystream under client-go and
 * the CRI streaming servers): control frames SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY,
 * HEADERS, WINDOW_UPDATE, and DATA frames, with name/value header blocks compressed by one zlib context per
 * direction primed with the SPDY/3 dictionary. Streams are Node duplexes: writing sends DATA, ending sends
 * FIN (a half-close: what `kubectl exec -i` needs to signal the end of stdin).
 *
 * Flow control is left out both ways, as spdystream leaves it out: no window is enforced on what we send,
 * and no WINDOW_UPDATE is sent for what we receive. (Sending them is harmful, not just useless: containerd
 * closes the connection right after its last frame, and a write after that draws a TCP reset that makes
 * the kernel drop the output not read yet.)
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { decodeHeaderBlock, encodeHeaderBlock, headerCodecs, type SpdyHeaders } from './spdy-headers.js';

export { SPDY3_DICTIONARY, type SpdyHeaders } from './spdy-headers.js';

const VERSION = 3;
const FLAG_FIN = 0x01;

/** Control frame types of SPDY/3. */
export const FrameType = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;

/** RST_STREAM status codes used here. */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

/** Largest DATA payload sent in one frame. */
const MAX_DATA = 32 * 1024;

/** Bytes queued on the connection past which feeders are asked to wait. */
const HIGH_WATER = 1024 * 1024;

/** One SPDY stream: a duplex over DATA frames; `end()` half-closes (FIN). */
export class SpdyStream extends Duplex {
  /** Set once the peer replied (SYN_REPLY) to a stream we opened. */
  replied = false;
  private localClosed = false;
  private remoteClosed = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
    // Failures end the stream; its users see 'end'/'close', never an unhandled 'error'.
    this.on('error', () => undefined);
  }

  /** Accepts a stream the peer opened (SYN_REPLY). */
  reply(headers: SpdyHeaders = {}): void {
    this.session.sendControl(FrameType.SYN_REPLY, 0, async () => this.session.withStreamId(this.id, await this.session.compress(headers)));
  }

  /** Aborts the stream (RST_STREAM). */
  reset(status: number = RstStatus.CANCEL): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(this.id & 0x7fffffff, 0);
    body.writeUInt32BE(status, 4);
    this.session.sendControl(FrameType.RST_STREAM, 0, body);
    this.closeBoth();
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Written after the peer reset or the session ended: nobody can read it any more, so it is dropped.
    if (this.localClosed) return cb();
    for (let off = 0; off < chunk.length; off += MAX_DATA) this.session.sendData(this.id, chunk.subarray(off, off + MAX_DATA), false);
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.localClosed) {
      this.localClosed = true;
      this.session.sendData(this.id, Buffer.alloc(0), true);
      this.maybeForget();
    }
    cb();
  }

  /** @internal DATA from the peer. */
  onData(data: Buffer, fin: boolean): void {
    if (data.length) this.push(data);
    if (fin) this.onRemoteFin();
  }

  /** @internal */
  onRemoteFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    this.maybeForget();
  }

  /** @internal The peer reset the stream or the session ended. */
  closeBoth(): void {
    // Ended, not destroyed: data already received stays readable (the runtime's last output, then close).
    this.onRemoteFin();
    this.session.forget(this.id);
    this.session.refused(this.id);
    if (!this.localClosed) {
      this.localClosed = true;
      this.end();
    }
  }

  private maybeForget(): void {
    if (this.localClosed && this.remoteClosed) this.session.forget(this.id);
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
}

/**
 * A SPDY/3.1 session over a connection (an upgraded socket, or bytes tunneled in a WebSocket). The client
 * opens odd stream IDs, the server even ones. 'stream' is emitted for each SYN_STREAM from the peer.
 */
export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly replyWaiters = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId: number;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly codecs = headerCodecs();
  /** Frames go out in the order they were queued, though header blocks are compressed asynchronously. */
  private output: Promise<void> = Promise.resolve();
  /** Frames are handled one at a time, in order (a header block is inflated before the next frame). */
  private pumping = false;
  private connEnded = false;
  private closed = false;

  constructor(
    private readonly conn: Duplex,
    readonly role: 'client' | 'server',
  ) {
    super();
    this.nextId = role === 'client' ? 1 : 2;
    conn.on('data', (chunk: Buffer) => this.onBytes(chunk));
    // The peer is done: frames already received are still handled (an inflate may be under way) first.
    const ended = (): void => {
      this.connEnded = true;
      if (!this.pumping) this.close();
    };
    conn.on('end', ended);
    conn.on('close', ended);
    conn.on('error', ended);
  }

  /** Opens a stream (SYN_STREAM) and resolves once the peer accepted it (SYN_REPLY). */
  async openStream(headers: SpdyHeaders, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    if (this.closed) throw new Error('SPDY session closed');
    const id = this.nextId;
    this.nextId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    const body = Buffer.alloc(10);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(0, 4);
    body.writeUInt16BE(0, 8);
    const replied = new Promise<void>((resolve, reject) => {
      this.replyWaiters.set(id, { resolve, reject: () => reject(new Error(`SPDY stream ${id} (${headers.streamtype ?? ''}) was refused`)) });
    });
    this.sendControl(FrameType.SYN_STREAM, opts.fin ? FLAG_FIN : 0, async () => Buffer.concat([body, await this.compress(headers)]));
    await replied;
    return stream;
  }

  /** Says goodbye (GOAWAY) and closes the connection; every stream ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // No GOAWAY to a peer that already hung up: a write to a closed connection draws a reset.
    if (!this.connEnded) this.enqueue(() => this.frame(FrameType.GOAWAY, 0, Buffer.alloc(8)));
    this.output = this.output.then(() => {
      if (!this.conn.destroyed) this.conn.end();
      this.codecs.deflate.close();
      this.codecs.inflate.close();
    });
    for (const s of [...this.streams.values()]) s.closeBoth();
    this.streams.clear();
    this.emit('close');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stops reading from the connection (back-pressure: what we forward to cannot keep up). */
  pause(): void {
    this.conn.pause();
  }

  resume(): void {
    this.conn.resume();
  }

  /**
   * Whether what we write is piling up unsent; `onDrain` runs once it went out (back-pressure for whoever
   * feeds our streams).
   */
  congested(onDrain: () => void): boolean {
    if (this.conn.writableLength < HIGH_WATER) return false;
    this.conn.once('drain', onDrain);
    return true;
  }

  /** @internal */
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.codecs.deflate.process(encodeHeaderBlock(headers));
  }

  private enqueue(frame: () => Buffer | Promise<Buffer>): void {
    this.output = this.output
      .then(async () => {
        const bytes = await frame();
        if (!this.conn.destroyed && this.conn.writable) this.conn.write(bytes);
      })
      .catch(() => undefined);
  }

  /** @internal */
  withStreamId(id: number, rest: Buffer): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id & 0x7fffffff);
    return Buffer.concat([b, rest]);
  }

  /** @internal */
  sendControl(type: number, flags: number, body: Buffer | (() => Promise<Buffer>)): void {
    if (this.closed || this.conn.destroyed) return;
    this.enqueue(async () => this.frame(type, flags, typeof body === 'function' ? await body() : body));
  }

  /** @internal */
  sendData(id: number, data: Buffer, fin: boolean): void {
    if (this.closed || this.conn.destroyed) return;
    const head = Buffer.alloc(8);
    head.writeUInt32BE(id & 0x7fffffff, 0);
    head.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
    const bytes = Buffer.concat([head, data]);
    this.enqueue(() => bytes);
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** @internal A stream we opened ended before the peer accepted it. */
  refused(id: number): void {
    this.replyWaiters.get(id)?.reject(new Error('refused'));
    this.replyWaiters.delete(id);
  }

  private frame(type: number, flags: number, body: Buffer): Buffer {
    const head = Buffer.alloc(8);
    head.writeUInt16BE(0x8000 | VERSION, 0);
    head.writeUInt16BE(type, 2);
    head.writeUInt32BE((flags << 24) | body.length, 4);
    return Buffer.concat([head, body]);
  }

  private onBytes(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.buffer.length >= 8 && !this.closed) {
      const length = this.buffer.readUInt32BE(4) & 0xffffff;
      if (this.buffer.length < 8 + length) break;
      const flags = this.buffer[4]!;
      const body = this.buffer.subarray(8, 8 + length);
      const control = (this.buffer[0]! & 0x80) !== 0;
      const word = this.buffer.readUInt32BE(0);
      this.buffer = this.buffer.subarray(8 + length);
      try {
        if (control) await this.onControl(word & 0xffff, flags, Buffer.from(body));
        else this.streams.get(word & 0x7fffffff)?.onData(Buffer.from(body), (flags & FLAG_FIN) !== 0);
      } catch {
        // A frame we cannot decode (e.g. a broken header block) ends the session, as spdystream does.
        this.close();
      }
    }
    this.pumping = false;
    if (this.connEnded) this.close();
  }

  private async onControl(type: number, flags: number, body: Buffer): Promise<void> {
    switch (type) {
      case FrameType.SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.codecs.inflate.process(body.subarray(10)));
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        this.emit('stream', stream);
        if (flags & FLAG_FIN) stream.onRemoteFin();
        return;
      }
      case FrameType.SYN_REPLY: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        await this.codecs.inflate.process(body.subarray(4));
        const stream = this.streams.get(id);
        if (stream) stream.replied = true;
        this.replyWaiters.get(id)?.resolve();
        this.replyWaiters.delete(id);
        if (stream && flags & FLAG_FIN) stream.onRemoteFin();
        return;
      }
      case FrameType.HEADERS: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        await this.codecs.inflate.process(body.subarray(4));
        if (flags & FLAG_FIN) this.streams.get(id)?.onRemoteFin();
        return;
      }
      case FrameType.RST_STREAM:
        this.streams.get(body.readUInt32BE(0) & 0x7fffffff)?.closeBoth();
        return;
      case FrameType.PING:
        // Answer the peer's pings (ours are never sent).
        this.sendControl(FrameType.PING, 0, body);
        return;
      case FrameType.GOAWAY:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and anything else: nothing to do.
        return;
    }
  }
}
