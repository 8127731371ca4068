/**
 * Mangled apiserver requests for fuzz tests, drawn from a seeded PRNG so that a seed reproduces the same
 * sequence: paths built from valid fragments with garbage mixed in, junk query parameters, wrong content
 * types and broken bodies (truncated JSON, wrong types in metadata, deep nesting, huge strings, random bytes,
 * YAML alias bombs).
 */

/** mulberry32: small, fast and good enough to pick request shapes. */
export class Rand {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** In [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  alnum(n: number): string {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += chars[this.int(chars.length)];
    return s;
  }
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  chunked: boolean;
  anonymous: boolean;
  /** The request may be served as a watch (it then carries timeoutSeconds=1 first). */
  watch: boolean;
  /** It asks for a resourceVersion far in the future, which Kubernetes answers with 504 after a short wait. */
  futureResourceVersion: boolean;
}

export interface FuzzTarget {
  /** The namespace the fuzz test owns. */
  namespace: string;
  /** How many distinct valid object names to draw from (a small pool makes updates and conflicts likely). */
  names: number;
}

const CORE_RESOURCES = ['configmaps', 'configmaps', 'configmaps', 'secrets', 'pods', 'services', 'events', 'serviceaccounts', 'endpoints', 'replicationcontrollers', 'namespaces', 'nodes', 'widgets'];
const APPS_RESOURCES = ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'controllerrevisions', 'configmaps'];
const SUBRESOURCES = ['status', 'scale', 'log', 'exec', 'binding', 'finalize', 'proxy', 'ephemeralcontainers', 'x'];
const API_PREFIXES = [
  '/api/v1', '/api/v1', '/api/v1', '/api/v1', '/apis/apps/v1', '/apis/apps/v1', '/apis/batch/v1', '/apis/nope.example.com/v1',
  '/api/v2', '/apis/apps', '/apis/apps/v1beta1', '/apis/rbac.authorization.k8s.io/v1', '/apis/apiextensions.k8s.io/v1',
];
const NON_RESOURCE_PATHS = [
  '/', '/api', '/apis', '/api/', '/apis/', '/version', '/healthz', '/livez', '/readyz', '/readyz/etcd', '/readyz/nope',
  '/livez/ping', '/healthz/x/y', '/openapi/v2', '/openapi/v3', '/openapi/v3/api/v1', '/openapi/v3/nope', '/metrics',
  '/logs', '/api/v1', '/apis/apps/v1', '/apis/apps', '/.well-known/openid-configuration', '/%2e%2e/%2e%2e/etc/passwd',
];

/** Segments that are not valid names (percent-encoding included); none decodes to "watch". */
function garbageSegment(rng: Rand): string {
  switch (rng.int(14)) {
    case 0:
      return '';
    case 1:
      return rng.pick(['.', '..', '%2e', '%2e%2e', '%2E%2E']);
    case 2:
      return rng.pick(['%2F', 'a%2Fb', '%2F%2F', '..%2F..%2F']);
    case 3:
      return rng.pick(['%00', 'a%00b', '%0a', '%0d%0a', '%09']);
    case 4:
      return rng.pick(['%ff', '%fe%ff', '%c3%28', '%zz', '%', '%4', '%%']);
    case 5:
      return rng.pick(['%E2%98%83', '%F0%9F%92%A9', '%C3%A9', 'caf%C3%A9']);
    case 6:
      return 'x'.repeat(rng.pick([64, 254, 255, 300, 1000, 4000]));
    case 7:
      return rng.pick(['UPPER', 'Bad_Name', '-lead', 'trail-', 'a..b', 'a b'.replace(' ', '%20'), '~user', '$patch', '@x', '*']);
    case 8:
      return Array.from(rng.bytes(rng.int(12) + 1), (b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    case 9:
      return rng.pick(['namespaces', 'configmaps', 'api', 'apis', 'v1', 'status', 'scale']);
    case 10:
      return rng.alnum(rng.int(20) + 1);
    case 11:
      return rng.pick(['null', 'undefined', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']);
    case 12:
      return rng.pick([';', ',', '=', '&', '+', '!', "'", '(', ')', '[', ']', '{', '}', '|', '`', '^']);
    default:
      return String(rng.int(1_000_000_000));
  }
}

function validName(rng: Rand, target: FuzzTarget): string {
  return `fz-${rng.int(target.names)}`;
}

function nameSegment(rng: Rand, target: FuzzTarget): string {
  return rng.chance(0.6) ? validName(rng, target) : garbageSegment(rng);
}

function namespaceSegment(rng: Rand, target: FuzzTarget): string {
  const r = rng.next();
  if (r < 0.6) return target.namespace;
  if (r < 0.7) return 'default';
  if (r < 0.75) return 'no-such-namespace';
  return garbageSegment(rng);
}

/** Routes that exist, so that most requests reach the handlers rather than a 404. */
const ROUTES: ReadonlyArray<[string, string]> = [
  ['/api/v1', 'configmaps'], ['/api/v1', 'configmaps'], ['/api/v1', 'configmaps'], ['/api/v1', 'configmaps'], ['/api/v1', 'secrets'],
  ['/api/v1', 'pods'], ['/api/v1', 'services'], ['/api/v1', 'events'], ['/apis/apps/v1', 'deployments'], ['/apis/apps/v1', 'replicasets'],
];

function routePath(rng: Rand, target: FuzzTarget, method: string, watch: boolean): string {
  const [prefix, resource] = rng.pick(ROUTES);
  let path = `${prefix}${watch ? '/watch' : ''}/namespaces/${rng.chance(0.9) ? target.namespace : 'default'}/${resource}`;
  if (rng.chance(method === 'POST' ? 0.1 : method === 'PUT' || method === 'PATCH' ? 0.9 : 0.6)) {
    path += `/${rng.chance(0.85) ? validName(rng, target) : garbageSegment(rng)}`;
    if (rng.chance(0.1)) path += `/${rng.pick(['status', 'scale'])}`;
  }
  return path;
}

function buildPath(rng: Rand, target: FuzzTarget, method: string, watch: boolean): string {
  if (rng.chance(0.05)) return rng.pick(NON_RESOURCE_PATHS);
  if (rng.chance(0.6)) return routePath(rng, target, method, watch);
  const prefix = rng.pick(API_PREFIXES);
  const resources = prefix.startsWith('/apis/apps') ? APPS_RESOURCES : CORE_RESOURCES;
  const parts = [prefix];
  if (watch) parts.push('watch');
  if (rng.chance(0.8)) parts.push('namespaces', namespaceSegment(rng, target));
  parts.push(rng.chance(0.92) ? rng.pick(resources) : garbageSegment(rng));
  if (rng.chance(0.55)) {
    parts.push(nameSegment(rng, target));
    if (rng.chance(0.15)) parts.push(rng.pick(SUBRESOURCES));
  }
  if (rng.chance(0.06)) for (let n = rng.int(3) + 1; n > 0; n--) parts.push(garbageSegment(rng));
  let path = parts.join('/');
  if (rng.chance(0.03)) path += '/';
  return path;
}

const LABEL_SELECTORS = [
  'a in (', '!!', 'a=b,', 'x notin', '=', '==', 'a==b==c', 'a!=', 'a in (b,c', 'a in b', 'Bad Key=v', 'a=' + 'v'.repeat(100),
  'k'.repeat(400) + '=v', 'a,,b', ',', 'a=(b)', '!', '!a=b', 'a in ()', 'a notin ()', 'a=b c', 'a>1', 'a<x', 'a gt 1',
  'app=web', 'app', '!app', 'app in (web,db)', 'x/y/z=1', '%zz', 'a=%E2%98%83', '\u0000', 'a=b,c in (d),!e,f!=g',
];
const FIELD_SELECTORS = [
  'metadata.name==a=b', 'spec.x=1', 'metadata.name', '=', 'metadata.name=', 'metadata.name!=x,', ',', 'metadata.name in (a)',
  'status.phase=Running', 'metadata.namespace=default', 'spec.nodeName=n1', 'metadata.name=' + 'x'.repeat(300), 'a\\', '\\',
  'metadata.name=a\\,b', 'metadata.name=\\x', 'involvedObject.name=x', 'type=Opaque', '!', '%zz',
];

function queryParam(rng: Rand): [string, string] {
  switch (rng.int(20)) {
    case 0:
      return ['resourceVersion', rng.pick(['abc', '-1', '', '0', '1', '1e3', ' ', '0x10', '01', '9'.repeat(30), '1.5', 'NaN'])];
    case 1:
      return ['resourceVersionMatch', rng.pick(['Exact', 'NotOlderThan', 'junk', ''])];
    case 2:
      return ['limit', rng.pick(['-1', '0', 'abc', '1', '2', '500', '1e9', '99999999999999999999', '-99999999999999999999', ' 1', '1.5'])];
    case 3:
      return ['continue', rng.pick(['junk', 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0', 'e30', 'bnVsbA', '!!!', 'eyJydiI6LTF9', 'eyJydiI6ImEiLCJzdGFydCI6NX0', '%zz', 'a'.repeat(500)])];
    case 4:
    case 5:
      return ['labelSelector', rng.pick(LABEL_SELECTORS)];
    case 6:
    case 7:
      return ['fieldSelector', rng.pick(FIELD_SELECTORS)];
    case 8:
      return ['dryRun', rng.pick(['All', 'junk', '', 'all'])];
    case 9:
      return ['fieldValidation', rng.pick(['Strict', 'Warn', 'Ignore', 'junk', 'strict'])];
    case 10:
      return ['gracePeriodSeconds', rng.pick(['-1', 'abc', '0', '30', '99999999999999999999', '1.5'])];
    case 11:
      return ['propagationPolicy', rng.pick(['junk', 'Orphan', 'Foreground', 'Background', ''])];
    case 12:
      return ['includeObject', rng.pick(['junk', 'None', 'Object', 'Metadata'])];
    case 13:
      return ['pretty', rng.pick(['true', 'junk'])];
    case 14:
      return ['sendInitialEvents', rng.pick(['true', 'false', 'junk'])];
    case 15:
      return ['allowWatchBookmarks', rng.pick(['true', 'junk'])];
    case 16:
      return ['fieldManager', rng.pick(['kubectl', 'x'.repeat(200), '%00', ''])];
    case 17:
      return ['force', rng.pick(['true', 'junk'])];
    case 18:
      return ['as', rng.pick(['Table', 'PartialObjectMetadataList'])];
    default:
      return [rng.pick(['%zz', '', '&', 'a[]', '__proto__', 'constructor', 'x'.repeat(100)]), rng.pick(['', '%zz', '1', '&&'])];
  }
}

const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json', 'application/yaml', 'application/yaml',
  'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json',
  'application/apply-patch+yaml', 'text/plain', 'application/vnd.kubernetes.protobuf', 'application/cbor', 'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded', ';;;', '', 'application/json; charset=utf-16', 'APPLICATION/JSON', 'text/yaml',
  'application/x-yaml', 'application/*', '*/*', 'application/json, application/yaml', 'image/png',
];
const ACCEPTS = [
  'application/json', 'application/yaml', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/json;as=Table;v=v9;g=meta.k8s.io',
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
  'application/yaml;as=Table;v=v1;g=meta.k8s.io', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'text/html', '*/*', 'application/*', ';;', 'application/vnd.kubernetes.protobuf', 'application/json;q=0.1, text/plain',
  'application/json;as', 'application/json;=;=', 'application/json;as=Table;v=v1;g=meta.k8s.io;includeObject=junk',
];

/** A body small and valid enough to sometimes be created, so later requests meet real objects. */
function configMapBody(rng: Rand, target: FuzzTarget): Record<string, unknown> {
  const obj: Record<string, unknown> = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: validName(rng, target), ...(rng.chance(0.3) ? { labels: { app: rng.pick(['web', 'db']) } } : {}) },
    data: { key: rng.alnum(8) },
  };
  if (rng.chance(0.1)) (obj.metadata as Record<string, unknown>).resourceVersion = String(rng.int(1000));
  return obj;
}

/** Bodies whose fields have the wrong JSON types (Kubernetes refuses these while decoding). */
const WRONG_TYPES: ReadonlyArray<string> = [
  '{"metadata":{"name":5}}', '{"metadata":[]}', '{"metadata":"x"}', '{"metadata":5}', '{"metadata":true}',
  '{"metadata":{"name":"fz-1","labels":5}}', '{"metadata":{"name":"fz-1","labels":{"a":5}}}', '{"metadata":{"name":"fz-1","labels":["a"]}}',
  '{"metadata":{"name":"fz-1","annotations":[1]}}', '{"metadata":{"name":"fz-1","annotations":{"a":{"b":1}}}}',
  '{"metadata":{"name":"fz-1","finalizers":"x"}}', '{"metadata":{"name":"fz-1","finalizers":[1,2]}}', '{"metadata":{"name":"fz-1","finalizers":{}}}',
  '{"metadata":{"name":"fz-1","ownerReferences":{}}}', '{"metadata":{"name":"fz-1","ownerReferences":[5]}}',
  '{"metadata":{"generateName":7}}', '{"metadata":{"name":"fz-1","resourceVersion":7}}', '{"metadata":{"name":"fz-1","resourceVersion":{}}}',
  '{"metadata":{"name":"fz-1","namespace":5}}', '{"metadata":{"name":"fz-1","uid":5}}', '{"metadata":{"name":"fz-1","generation":"x"}}',
  '{"metadata":{"name":"fz-1","generation":-5}}', '{"metadata":{"name":"fz-1","creationTimestamp":5}}', '{"metadata":{"name":"fz-1","deletionTimestamp":"junk"}}',
  '{"metadata":{"name":"fz-1","deletionGracePeriodSeconds":"x"}}', '{"metadata":{"name":"fz-1","managedFields":5}}',
  '{"metadata":{"name":["fz-1"]}}', '{"metadata":{"name":{"a":1}}}', '{"metadata":{"name":null}}', '{"metadata":{"name":true}}',
  '{"kind":5}', '{"kind":"ConfigMap","apiVersion":5}', '{"kind":null,"apiVersion":null,"metadata":{"name":"fz-2"}}', '{"kind":{},"apiVersion":[]}',
  '{"metadata":{"name":"fz-1"},"data":5}', '{"metadata":{"name":"fz-1"},"data":{"k":5}}', '{"metadata":{"name":"fz-1"},"data":["a"]}',
  '{"metadata":{"name":"fz-1"},"data":{"k":null}}', '{"metadata":{"name":"fz-1"},"data":{"bad key!":"v"}}', '{"metadata":{"name":"fz-1"},"binaryData":{"k":"not base64!"}}',
  '{"metadata":{"name":"fz-1"},"binaryData":5}', '{"metadata":{"name":"fz-1"},"immutable":"yes"}', '{"metadata":{"name":"fz-1"},"spec":5}',
  '{"metadata":{"name":"fz-1"},"status":"x"}', '{"metadata":{"name":"fz-1"},"spec":{"replicas":"three"}}', '{"metadata":{"name":"fz-1"},"spec":{"replicas":-1}}',
  '{"metadata":{"name":"fz-1"},"spec":{"containers":5}}', '{"metadata":{"name":"fz-1"},"spec":{"containers":[5]}}', '{"metadata":{"name":"fz-1"},"spec":{"containers":[{"name":5}]}}',
  '{"metadata":{"name":"fz-1"},"spec":{"selector":"x","template":5}}', '{"metadata":{"name":"fz-1"},"spec":{"selector":{"matchLabels":5}}}',
  '{"metadata":{"name":"fz-1"},"spec":{"finalizers":5}}', '{"metadata":{"name":"fz-1"},"type":5}', '{"metadata":{"name":"fz-1"},"stringData":{"a":5}}',
  '{"__proto__":{"polluted":1},"metadata":{"name":"fz-3"}}', '{"metadata":{"name":"fz-4","__proto__":{"x":1}}}', '{"constructor":{"prototype":{"x":1}}}',
  '{"metadata":{"name":"fz-5","labels":{"__proto__":"x"}}}', '{"metadata":{"name":"fz-6","labels":{"constructor":"x"}}}',
  'null', '[]', '"str"', '5', 'true', '{}', '[{}]', '-0', '1e999', '{"metadata":{"name":"fz-7"},"data":{"k":"\\ud800"}}',
  '{"metadata":{"name":"fz-8","name":"fz-9"}}', '{"apiVersion":"v1","kind":"Status"}', '{"apiVersion":"v1","kind":"List","items":[]}',
  '{"apiVersion":"meta.k8s.io/v1","kind":"DeleteOptions","gracePeriodSeconds":"x"}', '{"kind":"DeleteOptions","preconditions":5}',
  '{"kind":"DeleteOptions","propagationPolicy":5}', '{"kind":"DeleteOptions","dryRun":"All"}', '{"kind":"DeleteOptions","preconditions":{"uid":5}}',
  '[{"op":"nope","path":"/data"}]', '[{"op":"add"}]', '[{"op":"add","path":5,"value":1}]', '[{"op":"replace","path":"/metadata/name","value":"other"}]',
  '[{"op":"replace","path":"/metadata","value":5}]', '[{"op":"replace","path":"","value":[]}]', '[{"op":"test","path":"/kind","value":"Pod"}]',
  '[{"op":"add","path":"/metadata/labels/a~1b","value":5}]', '[{"op":"remove","path":"/metadata"}]', '[{"op":"move","from":"/metadata","path":"/metadata/x"}]',
  '[{"op":"add","path":"/__proto__/polluted","value":1}]', '[{"op":"add","path":"/constructor/prototype/polluted","value":1}]',
  '[{"op":"copy","from":"/data","path":"/metadata"}]', '[{"op":"replace","path":"/metadata/resourceVersion","value":"1"}]',
  '[{"op":"add","path":"/metadata/finalizers","value":"x"}]', '[{"op":"add","path":"/data/-","value":1}]', '[1]', '[[]]', '[null]',
  '{"$patch":"delete"}', '{"$patch":"replace","kind":"Pod"}', '{"metadata":{"$patch":"delete"}}', '{"metadata":null}', '{"metadata":{"labels":null,"$retainKeys":5}}',
  '{"metadata":{"finalizers":[{"$patch":"replace"}]}}', '{"spec":{"containers":[{"$patch":"delete"}]}}', '{"spec":{"containers":[5]}}',
  '{"spec":{"containers":[{"name":"a","$patch":"delete"},{"name":{"x":1}}]}}', '{"$setElementOrder/containers":5,"spec":{"containers":[]}}',
  '{"$deleteFromPrimitiveList/finalizers":["a"],"metadata":{"finalizers":5}}', '{"metadata":{"resourceVersion":"1"}}', '{"metadata":{"name":"other"}}',
  '{"metadata":{"namespace":"other"}}', '{"metadata":{"uid":"x"}}', '{"kind":"Secret"}', '{"apiVersion":"apps/v1"}', '{"data":{"k":{"nested":true}}}',
  '{"metadata":{"labels":{"a":"b"}},"data":{"k":"v"}}', '{"status":{"phase":5}}', '{"spec":{"replicas":"x"}}', '{"spec":{"replicas":2}}',
];

const YAML_BODIES: ReadonlyArray<string> = [
  'metadata: {name: [x', 'a: b: c', '- a\n- b', '', '---\n---', 'kind: ConfigMap\n---\nkind: ConfigMap', ':', '? [a, b]\n: c', '!!binary aGVsbG8=',
  'metadata:\n  name: !!int 5', 'metadata: !!set {a, b}', 'metadata:\n  name: fz-1\ndata:\n  k: !!float .nan', 'metadata: &a {name: fz-1}\nx: *a',
  'metadata:\n  name: fz-1\n  labels: &l {a: b}\n  annotations: *l', '<<: {metadata: {name: fz-1}}', 'metadata:\n  <<: *nope', '*unknown',
  'metadata: {name: fz-1}\ndata: {k: !custom v}', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "\\ud800"', '%YAML 9.9\n---\na: 1',
  '%TAG ! tag:x,2000:\n---\n!foo a', 'metadata:\n\tname: tabs', 'metadata: {name: fz-1, name: fz-2}', 'a: |\n  x\n b',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fz-10\ndata:\n  k: v\n', '"unterminated', "'unterminated", '[1, 2', '{a: 1',
  'metadata:\n  name: 0x1F', 'metadata:\n  name: 1e3', 'metadata:\n  name: ~', 'metadata:\n  name: yes', 'metadata:\n  name: 2001-01-01',
];

/** A YAML document whose aliases expand (billion-laughs style) far beyond its own size. */
function yamlBomb(rng: Rand): string {
  const levels = rng.int(7) + 3;
  const width = rng.int(8) + 2;
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= levels; i++) {
    lines.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
  }
  lines.push(`metadata: {name: fz-bomb}`, `data: *a${levels}`);
  return lines.join('\n');
}

let bigString: string | undefined;
/** A long string reused across requests (generated once: its content does not matter). */
function huge(bytes: number): string {
  bigString ??= 'x'.repeat(4 * 1024 * 1024 + 1024);
  return bigString.slice(0, bytes);
}

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** Patches that apply cleanly to a ConfigMap (in the merge, strategic or JSON patch form). */
const GOOD_PATCHES: ReadonlyArray<string> = [
  '{"data":{"k":"patched"}}', '{"metadata":{"labels":{"app":"web"}}}', '{"metadata":{"labels":{"app":null}}}', '{"data":null}',
  '{"metadata":{"annotations":{"a":"b"}},"data":{"x":"y"}}', '{"metadata":{"finalizers":["example.com/f"]}}', '{"metadata":{"finalizers":null}}',
  '[{"op":"add","path":"/data","value":{"a":"b"}}]', '[{"op":"add","path":"/metadata/labels","value":{"app":"db"}}]', '[{"op":"remove","path":"/data"}]',
  '[{"op":"replace","path":"/metadata/resourceVersion","value":"1"}]', '[{"op":"add","path":"/metadata/finalizers","value":["example.com/f"]}]',
];

function body(rng: Rand, target: FuzzTarget, method: string): { body: Buffer; chunked?: boolean } | undefined {
  const b = (s: string): { body: Buffer } => ({ body: Buffer.from(s, 'utf8') });
  if (method === 'PATCH' && rng.chance(0.4)) return b(rng.pick(GOOD_PATCHES));
  switch (rng.int(16)) {
    case 0:
      return undefined;
    case 1:
    case 2:
    case 3:
      return b(JSON.stringify(configMapBody(rng, target)));
    case 4: {
      const text = JSON.stringify(configMapBody(rng, target));
      return b(text.slice(0, rng.int(text.length)));
    }
    case 5:
    case 6:
    case 7:
      return b(rng.pick(WRONG_TYPES));
    case 8:
      return b(rng.pick(YAML_BODIES));
    case 9: {
      const depth = rng.pick([100, 1000, 5000, 20_000, 100_000]);
      const shape = rng.int(4);
      if (shape === 0) return b(nested(depth, '[', ']'));
      if (shape === 1) return b(`{"metadata":{"name":"fz-deep"},"data":{"k":${nested(depth, '[', ']')}}}`);
      if (shape === 2) return b(`{"metadata":{"name":"fz-deep","labels":${nested(depth, '{"a":', '}', '"b"')}}}`);
      return b(`{"metadata":{"name":"fz-deep"},"spec":${nested(depth, '{"a":', '}')}}`);
    }
    case 10: {
      const size = rng.pick([1024, 300 * 1024, 1024 * 1024 + 10, 2 * 1024 * 1024, 3 * 1024 * 1024 - 200, 3 * 1024 * 1024 + 1, 4 * 1024 * 1024]);
      const cm = configMapBody(rng, target);
      const shape = rng.int(4);
      if (shape === 0) cm.data = { k: huge(size) };
      else if (shape === 1) (cm.metadata as Record<string, unknown>).annotations = { a: huge(size) };
      else if (shape === 2) (cm.metadata as Record<string, unknown>).name = huge(Math.min(size, 100_000));
      else (cm.metadata as Record<string, unknown>).labels = { a: huge(Math.min(size, 100_000)) };
      return { body: Buffer.from(JSON.stringify(cm)), chunked: rng.chance(0.5) };
    }
    case 11:
      return { body: rng.bytes(rng.pick([1, 16, 1024, 65_536])) };
    case 12:
      return b(yamlBomb(rng));
    case 13: {
      // A valid-looking object of another kind or version.
      const kind = rng.pick(['Secret', 'Pod', 'Deployment', 'ConfigMap', 'Namespace', 'Scale', '']);
      const apiVersion = rng.pick(['v1', 'apps/v1', 'autoscaling/v1', 'v2', 'nope/v1', '']);
      return b(JSON.stringify({ apiVersion, kind, metadata: { name: validName(rng, target), namespace: rng.pick([target.namespace, 'default', 'other', '']) } }));
    }
    case 14: {
      // Valid JSON with many keys or many items.
      const n = rng.pick([1000, 50_000]);
      const data: Record<string, string> = {};
      for (let i = 0; i < n; i++) data[`k${i}`] = 'v';
      return b(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: validName(rng, target), labels: rng.chance(0.5) ? data : undefined }, data }));
    }
    default:
      return b(JSON.stringify(configMapBody(rng, target)).replace(/"fz-\d+"/, JSON.stringify(garbageSegment(rng))));
  }
}

/** Draws the next mangled request. */
export function fuzzRequest(rng: Rand, target: FuzzTarget): FuzzRequest {
  const method = rng.chance(0.07) ? rng.pick(['HEAD', 'OPTIONS', 'PROPFIND', 'TRACE']) : rng.pick(['GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'PUT', 'PATCH', 'PATCH', 'PATCH', 'DELETE']);
  const watchPath = rng.chance(0.04);
  const watchParam = rng.chance(0.04);
  let path = buildPath(rng, target, method, watchPath);
  // Deleting namespaces (or all of them) would take the fuzz test's own objects with it.
  const touchesNamespaces = /\/namespaces\/?[^/]*\/?$/.test(path) || /\/namespaces\/[^/]*\/(status|finalize)$/.test(path);
  const finalMethod = method === 'DELETE' && touchesNamespaces ? 'GET' : method;
  const params: Array<[string, string]> = [];
  const watch = watchPath || watchParam;
  // Anything that may be served as a watch ends within a second; others sometimes get junk timeouts.
  if (watch || rng.chance(0.3)) params.push(['timeoutSeconds', '1']);
  else if (rng.chance(0.1)) params.push(['timeoutSeconds', rng.pick(['abc', '-1', '1.5', '1e3', ' 1', '99999999999999999999'])]);
  if (watchParam) params.push(['watch', rng.pick(['1', 'true', 'yes'])]);
  else if (rng.chance(0.03)) params.push(['watch', rng.pick(['0', 'false'])]);
  for (let n = rng.int(4); n > 0; n--) params.push(queryParam(rng));
  const futureResourceVersion = params.some(([k, v]) => k === 'resourceVersion' && /^\d+$/.test(v) && Number(v) > 1_000_000);
  if (params.length > 0) {
    const raw = rng.chance(0.05);
    path += '?' + params.map(([k, v]) => (raw ? `${k}=${v}` : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&').replace(/[^\u0021-\u00ff]/g, (c) => encodeURIComponent(c));
  }
  const headers: Record<string, string> = {};
  const drawn = finalMethod === 'GET' || finalMethod === 'HEAD' ? (rng.chance(0.2) ? body(rng, target, finalMethod) : undefined) : body(rng, target, finalMethod);
  if (drawn || rng.chance(0.2)) {
    const ct = rng.pick(CONTENT_TYPES);
    if (ct !== '' || rng.chance(0.5)) headers['Content-Type'] = ct;
  }
  if (rng.chance(0.6)) headers['Accept'] = rng.pick(ACCEPTS);
  return {
    method: finalMethod,
    path,
    headers,
    ...(drawn ? { body: drawn.body } : {}),
    chunked: drawn?.chunked ?? false,
    anonymous: rng.chance(0.02),
    watch,
    futureResourceVersion,
  };
}
