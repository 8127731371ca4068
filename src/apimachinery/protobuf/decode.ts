// Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`) into the
// plain JSON object form the same object has when sent as JSON, so the rest of the apiserver
// only ever sees JSON objects.
//
// Wire format: 4 magic bytes "k8s\0", then a runtime.Unknown message whose `raw` field holds
// the object encoded with go-to-protobuf's schema (proto2; see schema.generated.ts).

import {
  FLAG_EMIT_ZERO,
  FLAG_INLINE,
  FLAG_REPEATED,
  KINDS,
  MESSAGES,
  type FieldSpec,
} from './schema.generated.js';

/** The media type kubectl and client-go use for protobuf bodies. */
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const TIME = `${META}.Time`;
const MICRO_TIME = `${META}.MicroTime`;
const DURATION = `${META}.Duration`;
const FIELDS_V1 = `${META}.FieldsV1`;
const VERBS = `${META}.Verbs`;
const QUANTITY = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = 'k8s.io.apimachinery.pkg.runtime.RawExtension';

// Kinds every group version registers (metav1.AddToGroupVersion), so they may arrive with any
// apiVersion, e.g. a DeleteOptions body for an apps/v1 delete says "apps/v1".
const META_KINDS: Readonly<Record<string, string>> = {
  DeleteOptions: `${META}.DeleteOptions`,
  CreateOptions: `${META}.CreateOptions`,
  UpdateOptions: `${META}.UpdateOptions`,
  PatchOptions: `${META}.PatchOptions`,
  Status: `${META}.Status`,
};

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
const WIRE_LEN = 2;
const WIRE_32BIT = 5;

const VARINT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64_TYPES = new Set(['fixed64', 'sfixed64', 'double']);
const FIXED32_TYPES = new Set(['fixed32', 'sfixed32', 'float']);

/** Minimal protobuf wire reader over a byte range; every read is bounds-checked. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new Error(`protobuf: truncated ${what} at offset ${this.pos}`);
  }

  /** Reads a base-128 varint as an unsigned 64-bit bigint (exact for int64 values). */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      this.need(1, 'varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new Error(`protobuf: varint longer than 10 bytes at offset ${this.pos}`);
  }

  /** Reads a varint known to be small (tags, lengths). */
  uint32(): number {
    const v = this.varint();
    if (v > 0xffffffffn) throw new Error(`protobuf: value ${v} too large at offset ${this.pos}`);
    return Number(v);
  }

  fixed(n: 4 | 8): Buffer {
    this.need(n, `${n * 8}-bit value`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads a length-delimited payload. */
  bytes(): Buffer {
    const len = this.uint32();
    this.need(len, 'length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Skips a field of an unknown number (proto semantics: unknown fields are ignored). */
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint();
    else if (wire === WIRE_64BIT) this.fixed(8);
    else if (wire === WIRE_LEN) this.bytes();
    else if (wire === WIRE_32BIT) this.fixed(4);
    else throw new Error(`protobuf: unsupported wire type ${wire} at offset ${this.pos}`);
  }
}

/** int64 as a JS number; values beyond 2^53 lose precision, as they would in any JS JSON. */
const toNumber = (v: bigint): number => Number(v);

/** Interprets one varint-encoded scalar. */
function scalarFromVarint(type: string, raw: bigint): number | boolean {
  if (type === 'bool') return raw !== 0n;
  if (type === 'int32') return Number(BigInt.asIntN(32, raw));
  if (type === 'uint32') return Number(BigInt.asUintN(32, raw));
  if (type === 'int64') return toNumber(BigInt.asIntN(64, raw));
  if (type === 'uint64') return toNumber(raw);
  // sint32/sint64 are zigzag-encoded: 0,-1,1,-2... become 0,1,2,3...
  return toNumber((raw >> 1n) ^ -(raw & 1n));
}

const FIXED_READERS: Readonly<Record<string, (b: Buffer) => number>> = {
  fixed32: (b) => b.readUInt32LE(0),
  sfixed32: (b) => b.readInt32LE(0),
  float: (b) => b.readFloatLE(0),
  fixed64: (b) => toNumber(b.readBigUInt64LE(0)),
  sfixed64: (b) => toNumber(b.readBigInt64LE(0)),
  double: (b) => b.readDoubleLE(0),
};

/** Reads one value of scalar `type` given the field's wire type, validating the pairing. */
function readScalar(r: Reader, type: string, wire: number, field: string): unknown {
  if (type === 'string' || type === 'bytes') {
    expectWire(wire, WIRE_LEN, field);
    const b = r.bytes();
    // bytes are base64 in JSON, exactly as encoding/json renders []byte (Secret.data etc.).
    return type === 'string' ? b.toString('utf8') : b.toString('base64');
  }
  if (VARINT_TYPES.has(type)) {
    expectWire(wire, WIRE_VARINT, field);
    return scalarFromVarint(type, r.varint());
  }
  if (FIXED64_TYPES.has(type)) {
    expectWire(wire, WIRE_64BIT, field);
    return FIXED_READERS[type]!(r.fixed(8));
  }
  if (FIXED32_TYPES.has(type)) {
    expectWire(wire, WIRE_32BIT, field);
    return FIXED_READERS[type]!(r.fixed(4));
  }
  throw new Error(`protobuf: unknown scalar type ${type}`);
}

function expectWire(actual: number, expected: number, field: string): void {
  if (actual !== expected) {
    throw new Error(`protobuf: field ${field} has wire type ${actual}, expected ${expected}`);
  }
}

const isScalar = (type: string): boolean => !type.includes('.');

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false;

/** The zero value of a map value type absent from its entry message. */
function zeroOf(type: string): unknown {
  if (type === 'string' || type === 'bytes') return '';
  if (type === 'bool') return false;
  if (isScalar(type)) return 0;
  return decodeMessageValue(type, Buffer.alloc(0));
}

/** Decodes the payload of a message-typed field, mapping well-known types to their JSON forms. */
function decodeMessageValue(type: string, payload: Buffer): unknown {
  switch (type) {
    case TIME:
    case MICRO_TIME: {
      // A zero metav1.Time marshals to an empty message; its JSON form is null.
      if (payload.length === 0) return null;
      const t = decodeRaw(type, payload);
      return formatTime(Number(t.seconds ?? 0), Number(t.nanos ?? 0), type === MICRO_TIME);
    }
    case DURATION:
      return formatGoDuration(BigInt((decodeRaw(type, payload).duration as number | undefined) ?? 0));
    case QUANTITY:
      return (decodeRaw(type, payload).string as string | undefined) || '0';
    case INT_OR_STRING: {
      const v = decodeRaw(type, payload);
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case VERBS:
      return decodeRaw(type, payload).items ?? [];
    case RAW_EXTENSION:
    case FIELDS_V1: {
      const v = decodeRaw(type, payload);
      const b64 = (type === RAW_EXTENSION ? v.raw : v.Raw) as string | undefined;
      return embeddedJson(b64 ? Buffer.from(b64, 'base64') : Buffer.alloc(0), type);
    }
    default:
      return decodeMessage(type, new Reader(payload));
  }
}

/** Decodes a well-known type's own fields without dropping zeros. */
function decodeRaw(type: string, payload: Buffer): Record<string, unknown> {
  return decodeMessage(type, new Reader(payload), true);
}

/** RawExtension / FieldsV1 carry JSON bytes (or, for RawExtension, a nested protobuf object). */
function embeddedJson(raw: Buffer, type: string): unknown {
  if (raw.length === 0) return null;
  if (raw.subarray(0, 4).equals(MAGIC)) return decodeKubernetesProtobuf(raw).object;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new Error(`protobuf: ${type} does not hold valid JSON`);
  }
}

/**
 * Decodes one message into its JSON object. `keepZero` keeps every scalar that is on the wire
 * (used for the well-known wrapper types whose zero fields are meaningful).
 */
function decodeMessage(type: string, r: Reader, keepZero = false): Record<string, unknown> {
  const schema = MESSAGES[type];
  if (!schema) throw new Error(`protobuf: no schema for message ${type}`);
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const tag = r.uint32();
    const num = tag >>> 3;
    const wire = tag & 7;
    if (num === 0) throw new Error(`protobuf: invalid field number 0 in ${type}`);
    const spec = schema[num];
    if (!spec) {
      r.skip(wire);
      continue;
    }
    decodeField(out, spec, type, r, wire, keepZero);
  }
  return out;
}

function decodeField(
  out: Record<string, unknown>,
  spec: FieldSpec,
  parent: string,
  r: Reader,
  wire: number,
  keepZero: boolean,
): void {
  const [name, type, flags, mapTypes] = spec;
  const label = `${parent}.${name}`;

  if (mapTypes) {
    expectWire(wire, WIRE_LEN, label);
    const [key, value] = decodeMapEntry(r.bytes(), mapTypes, label);
    const map = (out[name] ??= {}) as Record<string, unknown>;
    map[String(key)] = value;
    return;
  }

  if (flags & FLAG_REPEATED) {
    const list = (out[name] ??= []) as unknown[];
    if (!isScalar(type)) {
      expectWire(wire, WIRE_LEN, label);
      list.push(decodeMessageValue(type, r.bytes()));
    } else if (wire === WIRE_LEN && type !== 'string' && type !== 'bytes') {
      // packed repeated numbers: one length-delimited run of values
      const packed = r.bytes();
      const pr = new Reader(packed);
      const itemWire = VARINT_TYPES.has(type) ? WIRE_VARINT : FIXED64_TYPES.has(type) ? WIRE_64BIT : WIRE_32BIT;
      while (!pr.done) list.push(readScalar(pr, type, itemWire, label));
    } else {
      list.push(readScalar(r, type, wire, label));
    }
    return;
  }

  if (!isScalar(type)) {
    expectWire(wire, WIRE_LEN, label);
    const value = decodeMessageValue(type, r.bytes());
    if (flags & FLAG_INLINE) Object.assign(out, value);
    else out[name] = value;
    return;
  }

  const value = readScalar(r, type, wire, label);
  // go-to-protobuf writes every non-pointer scalar; encoding/json omits their zero values.
  if (isZero(value) && !keepZero && !(flags & FLAG_EMIT_ZERO)) delete out[name];
  else out[name] = value;
}

/** Map fields are repeated entry messages {key = 1, value = 2}. */
function decodeMapEntry(entry: Buffer, [keyType, valueType]: readonly [string, string], label: string): [unknown, unknown] {
  const r = new Reader(entry);
  let key: unknown;
  let value: unknown;
  let seenValue = false;
  while (!r.done) {
    const tag = r.uint32();
    const num = tag >>> 3;
    const wire = tag & 7;
    if (num === 1) key = readScalar(r, keyType, wire, `${label}[key]`);
    else if (num === 2) {
      if (isScalar(valueType)) value = readScalar(r, valueType, wire, `${label}[value]`);
      else {
        expectWire(wire, WIRE_LEN, `${label}[value]`);
        value = decodeMessageValue(valueType, r.bytes());
      }
      seenValue = true;
    } else r.skip(wire);
  }
  return [key ?? zeroOf(keyType), seenValue ? value : zeroOf(valueType)];
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** RFC 3339 in UTC, as metav1.Time (seconds) and metav1.MicroTime (microseconds) marshal. */
function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) throw new Error(`protobuf: time ${seconds}s out of range`);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const frac = micro ? `.${pad(Math.floor(nanos / 1000), 6)}` : '';
  return `${date}T${time}${frac}Z`;
}

/**
 * Formats nanoseconds the way Go's time.Duration.String does ("1h0m0s", "1.5s", "300ms"), the
 * JSON form of metav1.Duration. Exported for tests.
 */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  const sign = neg ? '-' : '';
  // trimmed decimal fraction of u/10^digits
  const frac = (v: bigint, digits: number): string => {
    const scale = 10n ** BigInt(digits);
    const rest = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
    return `${v / scale}${rest ? `.${rest}` : ''}`;
  };
  if (u < 1_000_000_000n) {
    if (u < 1_000n) return `${sign}${u}ns`;
    if (u < 1_000_000n) return `${sign}${frac(u, 3)}µs`;
    return `${sign}${frac(u, 6)}ms`;
  }
  const h = u / 3_600_000_000_000n;
  u -= h * 3_600_000_000_000n;
  const m = u / 60_000_000_000n;
  u -= m * 60_000_000_000n;
  const s = `${frac(u, 9)}s`;
  if (h > 0n) return `${sign}${h}h${m}m${s}`;
  if (m > 0n) return `${sign}${m}m${s}`;
  return `${sign}${s}`;
}

/** Picks the message type for an apiVersion/kind pair, or throws for unknown kinds. */
function messageTypeFor(apiVersion: string, kind: string): string {
  const type = KINDS[`${apiVersion}/${kind}`] ?? META_KINDS[kind];
  if (!type) throw new Error(`protobuf: no protobuf schema for ${apiVersion || '<no apiVersion>'}, Kind=${kind || '<no kind>'}`);
  return type;
}

/**
 * Decodes a Kubernetes protobuf body ("k8s\0" + runtime.Unknown) into the object's JSON form,
 * with `apiVersion` and `kind` set. Throws a plain Error on bad magic, truncated or malformed
 * data, wire-type mismatches and kinds without a known schema.
 */
export function decodeKubernetesProtobuf(body: Buffer): {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
} {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('protobuf: body does not start with the Kubernetes protobuf magic "k8s\\0"');
  }
  const r = new Reader(body, MAGIC.length);
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  let contentEncoding = '';
  while (!r.done) {
    const tag = r.uint32();
    const num = tag >>> 3;
    const wire = tag & 7;
    if (num === 1) {
      expectWire(wire, WIRE_LEN, 'Unknown.typeMeta');
      const tm = new Reader(r.bytes());
      while (!tm.done) {
        const t = tm.uint32();
        if (t >>> 3 === 1) apiVersion = readScalar(tm, 'string', t & 7, 'TypeMeta.apiVersion') as string;
        else if (t >>> 3 === 2) kind = readScalar(tm, 'string', t & 7, 'TypeMeta.kind') as string;
        else tm.skip(t & 7);
      }
    } else if (num === 2) {
      expectWire(wire, WIRE_LEN, 'Unknown.raw');
      raw = r.bytes();
    } else if (num === 3) {
      contentEncoding = readScalar(r, 'string', wire, 'Unknown.contentEncoding') as string;
    } else if (num === 4) {
      readScalar(r, 'string', wire, 'Unknown.contentType');
    } else {
      r.skip(wire);
    }
  }
  if (contentEncoding) throw new Error(`protobuf: unsupported content encoding "${contentEncoding}"`);
  const decoded = decodeMessage(messageTypeFor(apiVersion, kind), new Reader(raw));
  return { apiVersion, kind, object: { kind, apiVersion, ...decoded } };
}
