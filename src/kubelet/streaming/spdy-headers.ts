/**
 * SPDY/3 header blocks: name/value pairs (32-bit lengths, lower-case names, several values joined by NUL),
 * compressed by one zlib context per direction and session, primed with the SPDY/3 dictionary and
 * sync-flushed after every block.
 */
import { constants as zlibConstants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';

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
export class HeaderCodec {
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

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
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

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
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

/** The deflate (ours) and inflate (the peer's) contexts of one session. */
export function headerCodecs(): { deflate: HeaderCodec; inflate: HeaderCodec } {
  return { deflate: new HeaderCodec(createDeflate({ dictionary: SPDY3_DICTIONARY })), inflate: new HeaderCodec(createInflate({ dictionary: SPDY3_DICTIONARY })) };
}
