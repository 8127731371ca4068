/**
 * The HTTP edges of the apiserver: reading bodies (size limit, media types), negotiating the answer's
 * format (JSON, YAML, Table, gzip) and writing objects and Status errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { parseAllDocuments, Parser as YAMLParser, stringify as toYAML } from 'yaml';
import { decodeKubernetesProtobuf, PROTOBUF_TYPE } from '../apimachinery/protobuf/decode.js';
import { badRequest, requestEntityTooLarge, StatusError, unsupportedMediaType } from '../apimachinery/status.js';

/** kube-apiserver's limit on request bodies (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Responses at least this large are gzipped when the client accepts it (kube-apiserver's threshold). */
const GZIP_THRESHOLD = 128 * 1024;

export const JSON_TYPE = 'application/json';
export const YAML_TYPE = 'application/yaml';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

export type PatchType = keyof typeof PATCH_TYPES;

/** The media type of a Content-Type or Accept entry, lower-cased, without parameters. */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/** Reads the whole body, refusing (413) past the limit without buffering the excess. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    return Promise.reject(requestEntityTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(requestEntityTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/**
 * How deeply a request body may nest objects and arrays. kube-apiserver's JSON decoder allows 10000 levels,
 * but the recursive encoders here (JSON.stringify, structuredClone, YAML) overflow the stack far sooner (YAML
 * output near 850 levels), and a stack overflow inside the YAML parser can abort the whole process. No real
 * object comes close to this (kube's own CBOR decoder stops at 64).
 */
export const MAX_NESTING_DEPTH = 100;

/** Refuses (400) a value nested deeper than the limit, or circular (YAML aliases can make it so). */
export function checkNestingDepth(value: unknown, limit = MAX_NESTING_DEPTH): void {
  const pending: Array<[unknown, number]> = [[value, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [v, depth] = next;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) throw badRequest(`the request body nests objects and arrays more than ${limit} levels deep`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) pending.push([child, depth + 1]);
  }
}

/** Decodes a JSON or YAML request body into one object; anything else is a Status error. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType) || JSON_TYPE;
  let decoded: unknown;
  if (type === JSON_TYPE || type.endsWith('+json')) decoded = parseJSON(body);
  else if (type === YAML_TYPE || type === 'application/x-yaml' || type === 'text/yaml' || type === PATCH_TYPES.apply) decoded = parseYAML(body);
  else if (type === PROTOBUF_TYPE) decoded = parseProtobuf(body);
  else throw unsupportedMediaType(type, ACCEPTED_BODY_TYPES);
  checkNestingDepth(decoded);
  return decoded;
}

/** The body media types accepted for objects, in kube-apiserver's order. */
export const ACCEPTED_BODY_TYPES = [JSON_TYPE, YAML_TYPE, PROTOBUF_TYPE];

/** Typed clients (kubectl create ..., client-go) send built-in kinds as protobuf. */
function parseProtobuf(body: Buffer): unknown {
  try {
    return decodeKubernetesProtobuf(body).object;
  } catch (err) {
    throw badRequest(`failed to decode protobuf body: ${(err as Error).message}`);
  }
}

function parseJSON(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function parseYAML(body: Buffer): unknown {
  const text = body.toString('utf8');
  // JSON is YAML, and JSON.parse reads it many times faster than the YAML parser (which needs seconds for MiBs).
  if (/^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // YAML flow syntax that is not JSON: parsed as YAML below.
    }
  }
  // The YAML composer recurses once per level: measure the nesting on the (iterative) parser's tokens first.
  if (yamlNestingExceeds(text, MAX_NESTING_DEPTH)) {
    throw badRequest(`the request body nests objects and arrays more than ${MAX_NESTING_DEPTH} levels deep`);
  }
  // Duplicate keys are not an error (the last wins), as in kube-apiserver's default decoding; the library's
  // check for them compares every pair of keys, which stalls the process for seconds on large mappings.
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  if (Array.isArray(docs) === false || docs.length !== 1) {
    throw badRequest('the body of the request must contain exactly one YAML document');
  }
  const doc = docs[0]!;
  if (doc.errors.length > 0) throw badRequest(`error converting YAML to JSON: ${doc.errors[0]!.message}`);
  try {
    return doc.toJS();
  } catch (err) {
    // Alias expansion past the library's limit (a "billion laughs" document) and the like.
    throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
}

interface YAMLToken {
  type?: string;
  value?: unknown;
  items?: Array<{ key?: unknown; value?: unknown }>;
}

/** Whether block or flow collections in `text` nest deeper than `limit`, judged from the parser's tokens. */
function yamlNestingExceeds(text: string, limit: number): boolean {
  const pending: Array<[YAMLToken, number]> = [];
  for (const token of new YAMLParser().parse(text)) pending.push([token as YAMLToken, 0]);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [token, outer] = next;
    const collection = token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
    const depth = collection ? outer + 1 : outer;
    if (depth > limit) return true;
    const children = [token.value, ...(token.items ?? []).flatMap((item) => [item.key, item.value])];
    for (const child of children) if (typeof child === 'object' && child !== null) pending.push([child as YAMLToken, depth]);
  }
  return false;
}

export interface Negotiated {
  /** The media type written: JSON or YAML. */
  type: typeof JSON_TYPE | typeof YAML_TYPE;
  /** The client asked for a meta.k8s.io Table. */
  table: boolean;
  /** `as=PartialObjectMetadata` / `PartialObjectMetadataList`. */
  partialMetadata: boolean;
  /** Aggregated discovery (apidiscovery.k8s.io v2) was asked for. */
  aggregatedDiscovery: boolean;
  /** False when the Accept header names only forms the server cannot write (the answer is a 406). */
  acceptable: boolean;
}

/** Chooses the answer's form from the Accept header, in the client's order of preference. */
export function negotiate(accept: string | undefined): Negotiated {
  const fallback: Negotiated = { type: JSON_TYPE, table: false, partialMetadata: false, aggregatedDiscovery: false, acceptable: true };
  if (!accept || accept.trim() === '') return fallback;
  for (const entry of accept.split(',')) {
    const [rawType, ...rawParams] = entry.split(';');
    const type = rawType!.trim().toLowerCase();
    const params = new Map(rawParams.map((p) => p.trim().split('=').map((s) => s.trim()) as [string, string]));
    const as = params.get('as');
    const group = params.get('g');
    if (type === JSON_TYPE || type === YAML_TYPE || type === '*/*' || type === 'application/*') {
      const chosen = type === YAML_TYPE ? YAML_TYPE : JSON_TYPE;
      if (!as) return { ...fallback, type: chosen };
      if (as === 'Table' && group === 'meta.k8s.io' && (params.get('v') === 'v1' || params.get('v') === 'v1beta1')) {
        return { ...fallback, type: chosen, table: true };
      }
      if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && group === 'meta.k8s.io') {
        return { ...fallback, type: chosen, partialMetadata: true };
      }
      if (as === 'APIGroupDiscoveryList' && group === 'apidiscovery.k8s.io' && params.get('v') === 'v2') {
        return { ...fallback, type: chosen, aggregatedDiscovery: true };
      }
    }
  }
  return { ...fallback, acceptable: false };
}

export interface WriteOptions {
  status?: number;
  /** Pre-serialized JSON to send as is (lists and watch-cache objects are serialized once). */
  json?: string;
  type?: typeof JSON_TYPE | typeof YAML_TYPE;
  warnings?: readonly string[];
  headers?: Record<string, string>;
}

/** The headers of an answer of `type`: the extra ones asked for and the warnings. */
function answerHeaders(type: string, opts: Pick<WriteOptions, 'warnings' | 'headers'>): Record<string, string | number | string[]> {
  const headers: Record<string, string | number | string[]> = { 'Content-Type': type, ...opts.headers };
  if (opts.warnings && opts.warnings.length > 0) headers['Warning'] = opts.warnings.map(warningHeader);
  return headers;
}

function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

const GZIP_HEADERS = { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' };

/** Writes an object (or pre-serialized JSON) in the negotiated format, gzipped when large and accepted. */
export function writeObject(req: IncomingMessage, res: ServerResponse, obj: unknown, opts: WriteOptions = {}): void {
  const type = opts.type ?? JSON_TYPE;
  let text: string;
  if (type === YAML_TYPE) text = toYAML(opts.json !== undefined ? JSON.parse(opts.json) : obj);
  else text = opts.json ?? JSON.stringify(obj);
  let body: Buffer | string = text;
  const headers = answerHeaders(type, opts);
  if (text.length >= GZIP_THRESHOLD && acceptsGzip(req)) {
    body = gzipSync(text, { level: 1 });
    Object.assign(headers, GZIP_HEADERS);
  }
  headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(opts.status ?? 200, headers);
  res.end(body);
}

/**
 * Writes JSON made of many pieces (a list's items) as it goes, chunked and gzipped when accepted, instead of
 * joining them first: a list of 150,000 pods is more text than one V8 string can hold, and a response
 * written piece by piece, waiting when the client reads slowly, holds a batch at a time, not the whole list.
 */
export async function writeJSONPieces(req: IncomingMessage, res: ServerResponse, pieces: Iterable<string>, opts: Pick<WriteOptions, 'warnings'> = {}): Promise<void> {
  const headers = answerHeaders(JSON_TYPE, opts);
  let out: Writable = res;
  if (acceptsGzip(req)) {
    Object.assign(headers, GZIP_HEADERS);
    const gzip = createGzip({ level: 1 });
    gzip.pipe(res);
    res.once('close', () => gzip.destroy());
    out = gzip;
  }
  res.writeHead(200, headers);
  let batch = '';
  for (const piece of pieces) {
    if (res.destroyed) return;
    batch += piece;
    if (batch.length < WRITE_BATCH_CHARS) continue;
    const flowing = out.write(batch);
    batch = '';
    if (!flowing) await drained(out, res);
  }
  out.end(batch);
}

/** How much of a piecewise answer is gathered before it is written. */
const WRITE_BATCH_CHARS = 256 * 1024;

/** Resolves when `out` can take more, or the client has gone. */
function drained(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      res.off('close', done);
      resolve();
    };
    out.once('drain', done);
    res.once('close', done);
  });
}

/** A `Warning` header value as kube-apiserver sends it (code 299, no agent). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

/** Writes a Status error (its code is the HTTP status). */
export function writeStatus(req: IncomingMessage, res: ServerResponse, err: StatusError, type: Negotiated['type'] = JSON_TYPE): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeObject(req, res, err.status, { status: err.code, type });
}
