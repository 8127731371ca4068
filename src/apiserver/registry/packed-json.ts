/**
 * How the watch cache holds the JSON of objects that come by the hundred thousand. Pods of one workload are
 * the same few kilobytes over and over (spec, status shape, managedFields) with a name, a uid, an IP and some
 * timestamps of their own; held as text, 150,000 pods are over 600 MB of strings, and the status updates that
 * replace them every few seconds leave V8's old generation (or malloc, for buffers) half empty behind them.
 * Compressed against a dictionary of recent objects of the same resource, each is a few hundred bytes.
 *
 * The cost is a deflate per write (tens of microseconds) and an inflate per read (a few microseconds, which
 * is what a list item or a watch event pays on top of writing the bytes out). Objects too small to gain are
 * kept as they are.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CachedObject } from '../../storage/cacher/cacher.js';

/** Smaller JSON is kept as text: it would not shrink enough to pay for its inflate on every read. */
const MIN_PACKED_BYTES = 1024;
/**
 * Dictionaries hold the last few objects compressed. Deflate reads its whole dictionary on every call: 8 KB
 * (two pods) packs a pod as small as the full 32 KB window would, for half the time.
 */
const DICTIONARY_BYTES = 8 * 1024;
/** A fresh dictionary after this many objects, so it follows what the resource's objects look like now. */
const DICTIONARY_REFRESH = 4096;

/** A cached object whose JSON is deflated against a dictionary shared with other objects of its resource. */
class PackedCachedObject implements CachedObject {
  constructor(
    readonly key: string,
    readonly namespace: string,
    readonly name: string,
    readonly revision: number,
    /** The deflated bytes as a one-byte string: a compact V8 string, not a Buffer with its own allocation. */
    private readonly packed: string,
    private readonly dictionary: Buffer,
    readonly labels: Readonly<Record<string, string>>,
    readonly fields: Readonly<Record<string, string>>,
  ) {}

  get json(): string {
    return inflateRawSync(Buffer.from(this.packed, 'latin1'), { dictionary: this.dictionary }).toString('utf8');
  }
}

/** The attributes of a cached object besides its JSON. */
export type CachedObjectAttributes = Omit<CachedObject, 'json'>;

/** Packs the JSON of one resource's objects for the watch cache, with a dictionary learnt from them. */
export class JSONPacker {
  private dictionary = Buffer.alloc(0);
  /** Recent objects, the material of the next dictionary. */
  private recent: Buffer[] = [];
  private recentBytes = 0;
  private packedSinceRefresh = 0;

  /** The cached form of an object with `json` (UTF-8) and the other attributes given. */
  pack(attrs: CachedObjectAttributes, json: Buffer): CachedObject {
    if (json.length < MIN_PACKED_BYTES) return { ...attrs, json: json.toString('utf8') };
    this.remember(json);
    const packed = deflateRawSync(json, { dictionary: this.dictionary }).toString('latin1');
    return new PackedCachedObject(attrs.key, attrs.namespace, attrs.name, attrs.revision, packed, this.dictionary, attrs.labels, attrs.fields);
  }

  private remember(json: Buffer): void {
    this.recent.push(json);
    this.recentBytes += json.length;
    while (this.recentBytes - this.recent[0]!.length >= DICTIONARY_BYTES) this.recentBytes -= this.recent.shift()!.length;
    // Until the first dictionary is full, every object makes it better; then it is refreshed now and then.
    if (this.dictionary.length < DICTIONARY_BYTES || ++this.packedSinceRefresh >= DICTIONARY_REFRESH) {
      this.packedSinceRefresh = 0;
      // The newest object last: deflate finds the nearest matches cheapest.
      const all = Buffer.concat(this.recent);
      this.dictionary = Buffer.from(all.subarray(Math.max(0, all.length - DICTIONARY_BYTES)));
    }
  }
}
