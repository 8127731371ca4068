/**
 * OpenAPI documents: v2 (/openapi/v2, every definition) and v3 (/openapi/v3, one document per group/version
 * holding its kinds' schemas and everything they reference). Schemas come from the generated built-in
 * definitions (src/api/openapi), with the x-kubernetes-* extensions kubectl reads: group-version-kind for
 * `kubectl explain`, patch strategies and list types. Operations carry the `fieldValidation` parameter, which
 * tells kubectl the server validates fields itself (so `--validate=strict` is server-side).
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceInfo, type ResourceRegistry } from '../api/registry.js';
import { definitionName, definitions, refName, type Schema } from '../api/openapi/schema.js';
import { K8TS_VERSION } from '../version.js';

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'];

/** Definitions every group/version document includes (the operations' bodies and answers). */
const COMMON = ['io.k8s.apimachinery.pkg.apis.meta.v1.Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent'];

interface Document {
  json: string;
  hash: string;
}

function operation(info: ResourceInfo, action: string, params: string[], v3: boolean): object {
  return {
    operationId: `${action}${info.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: info.group, version: info.version, kind: info.kind },
    parameters: params.map((name) => {
      const type = name === 'force' ? 'boolean' : 'string';
      return v3 ? { name, in: 'query', schema: { type, uniqueItems: true } } : { name, in: 'query', type, uniqueItems: true };
    }),
    responses: { '200': { description: 'OK' } },
  };
}

function pathsOf(resources: Iterable<ResourceInfo>, v3: boolean): Record<string, object> {
  const paths: Record<string, object> = {};
  for (const info of resources) {
    const gvPath = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
    const base = `${gvPath}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.resource}`;
    const write = QUERY_PARAMS.filter((p) => p !== 'force');
    paths[base] = { get: operation(info, 'list', [], v3), post: operation(info, 'post', write, v3) };
    paths[`${base}/{name}`] = {
      get: operation(info, 'get', [], v3),
      put: operation(info, 'put', write, v3),
      patch: operation(info, 'patch', QUERY_PARAMS, v3),
      delete: operation(info, 'delete', ['dryRun'], v3),
    };
  }
  return paths;
}

/** A v2 schema in v3 form: refs into components, and a `$ref` with siblings wrapped in `allOf` as kube does. */
function toV3(schema: Schema): Schema & { allOf?: Schema[] } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === '$ref') continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([f, s]) => [f, toV3(s)]));
    else if ((k === 'items' || k === 'additionalProperties') && typeof v === 'object') out[k] = toV3(v as Schema);
    else out[k] = v;
  }
  if (schema.$ref) {
    const ref = `#/components/schemas/${refName(schema.$ref)}`;
    if (Object.keys(out).length === 0) return { $ref: ref };
    return { ...out, allOf: [{ $ref: ref }] };
  }
  return out as Schema;
}

/** The named definitions and every definition they reference, transitively. */
function closure(names: Iterable<string>): string[] {
  const defs = definitions();
  const seen = new Set<string>();
  const visit = (s: Schema | undefined): void => {
    if (!s) return;
    if (s.$ref) add(refName(s.$ref));
    for (const p of Object.values(s.properties ?? {})) visit(p);
    visit(s.items);
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties);
  };
  const add = (name: string): void => {
    if (seen.has(name) || !defs[name]) return;
    seen.add(name);
    visit(defs[name]);
  };
  for (const n of names) add(n);
  return [...seen].sort();
}

function document(value: object): Document {
  const json = JSON.stringify(value);
  return { json, hash: createHash('sha512').update(json).digest('hex').slice(0, 128).toUpperCase() };
}

export class OpenAPI {
  /** v3 group/version paths (`apis/apps/v1`) and the resources each serves; documents are built on first read. */
  private readonly groupVersions = new Map<string, ResourceInfo[]>();
  private readonly built = new Map<string, Document>();

  constructor(private readonly registry: ResourceRegistry) {
    for (const { group, versions } of registry.groups()) {
      for (const version of versions) {
        this.groupVersions.set(group ? `apis/${group}/${version}` : `api/${version}`, [...registry.resources(group, version)]);
      }
    }
  }

  /** The document at `path` (query string ignored) as JSON, or undefined. */
  document(path: string): string | undefined {
    const p = path.endsWith('/') ? path.slice(0, -1) : path;
    const cached = this.built.get(p);
    if (cached) return cached.json;
    const doc = this.build(p);
    if (doc) this.built.set(p, doc);
    return doc?.json;
  }

  private build(path: string): Document | undefined {
    if (path === '/openapi/v2') return this.v2();
    if (path === '/openapi/v3') {
      const root: Record<string, { serverRelativeURL: string }> = {};
      for (const gv of this.groupVersions.keys()) root[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${this.v3Document(gv).hash}` };
      return document({ paths: root });
    }
    const gv = path.startsWith('/openapi/v3/') ? path.slice('/openapi/v3/'.length) : undefined;
    return gv && this.groupVersions.has(gv) ? this.v3Document(gv) : undefined;
  }

  private v3Document(gv: string): Document {
    const key = `/openapi/v3/${gv}`;
    const cached = this.built.get(key);
    if (cached) return cached;
    const resources = this.groupVersions.get(gv) ?? [];
    const kinds = resources.map((r) => definitionName(r.group, r.version, r.kind)).filter((n): n is string => n !== undefined);
    const lists = resources.map((r) => definitionName(r.group, r.version, `${r.kind}List`)).filter((n): n is string => n !== undefined);
    const defs = definitions();
    const schemas = Object.fromEntries(closure([...kinds, ...lists, ...COMMON]).map((n) => [n, toV3(defs[n]!)]));
    const [group, version] = gv.startsWith('api/') ? ['', gv.slice(4)] : gv.slice(5).split('/');
    const doc = document({
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: `k8ts ${K8TS_VERSION} ${apiVersionOf({ group: group ?? '', version: version ?? '' })}` },
      paths: pathsOf(resources, true),
      components: { schemas },
    });
    this.built.set(key, doc);
    return doc;
  }

  private v2(): Document {
    const all = [...this.groupVersions.values()].flat();
    return document({
      swagger: '2.0',
      info: { title: 'Kubernetes', version: `k8ts ${K8TS_VERSION}` },
      paths: pathsOf(all, false),
      definitions: definitions(),
    });
  }
}
