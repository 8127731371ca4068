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
import { constants as zlibConstants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

const VERSION = 3;
const FLAG_FIN = 0x01;

/** Control frame types of SPDY/3. */
export const FrameType = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;

/** RST_STREAM status codes used here. */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

/** Largest DATA payload sent in one frame. */
const MAX_DATA = 32 * 1024;

/** The SPDY/3 header compression dictionary (a constant of the specification), built from its parts. */
export const SPDY3_DICTIONARY: Buffer = (() => {
  const words = ['options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin'];
  const codes = '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505';
  const reasons = '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable';
  const dates = 'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT';
  const types = 'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const w of words) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(codes + reasons + dates + types, 'latin1'));
  return Buffer.concat(parts);
})();

/** Header names are lower case on the wire; a value with several entries joins them with NUL. */
export type SpdyHeaders = Record<string, string>;

/**
 * One zlib context used block by block (SPDY compresses every header block of a session in one stream,
 * sync-flushed): each block is written, flushed, and what the flush produced is read back, in order.
 */
class HeaderCodec {
  private chain: Promise<unknown> = Promise.resolve();
  constructor(private readonly z: Deflate | Inflate) {
    z.on('error', () => undefined);
  }

  process(block: Buffer): Promise<Buffer> {
    const run = (): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        this.z.once('error', reject);
        this.z.write(block);
        this.z.flush(zlibConstants.Z_SYNC_FLUSH, () => {
          this.z.off('error', reject);
          const parts: Buffer[] = [];
          for (let c = this.z.read() as Buffer | null; c !== null; c = this.z.read() as Buffer | null) parts.push(c);
          resolve(Buffer.concat(parts));
        });
      });
    const result = this.chain.then(run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  close(): void {
    this.z.destroy();
  }
}

function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const s of [name.toLowerCase(), value]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let off = 0;
  const take = (): string => {
    const len = block.readUInt32BE(off);
    off += 4;
    const s = block.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  const count = block.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    headers[name] = take();
  }
  return headers;
}

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
  private readonly deflate = new HeaderCodec(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly inflate = new HeaderCodec(createInflate({ dictionary: SPDY3_DICTIONARY }));
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
      this.deflate.close();
      this.inflate.close();
    });
    for (const s of [...this.streams.values()]) s.closeBoth();
    this.streams.clear();
    this.emit('close');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.deflate.process(encodeHeaderBlock(headers));
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
        const headers = decodeHeaderBlock(await this.inflate.process(body.subarray(10)));
        const stream = new SpdyStream(this, id, headers);
        this.streams.set(id, stream);
        this.emit('stream', stream);
        if (flags & FLAG_FIN) stream.onRemoteFin();
        return;
      }
      case FrameType.SYN_REPLY: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        await this.inflate.process(body.subarray(4));
        const stream = this.streams.get(id);
        if (stream) stream.replied = true;
        this.replyWaiters.get(id)?.resolve();
        this.replyWaiters.delete(id);
        if (stream && flags & FLAG_FIN) stream.onRemoteFin();
        return;
      }
      case FrameType.HEADERS: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        await this.inflate.process(body.subarray(4));
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
