/**
 * What every resource handler works with: the request, the resource as served at the URL's version, the
 * registry that stores it, and helpers to answer with objects and lists in the negotiated form.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkFieldLabels, parseFieldSelector, type FieldSelector } from '../../apimachinery/fields.js';
import { parseLabelSelector, type LabelSelector } from '../../apimachinery/labels.js';
import { badRequest } from '../../apimachinery/status.js';
import { apiVersionOf } from '../../api/registry.js';
import type { CachedObject } from '../../storage/cacher/cacher.js';
import type { UserInfo } from '../auth/authenticator.js';
import { JSON_TYPE, writeJSONPieces, writeObject, type Negotiated } from '../http.js';
import type { ResourceRequest } from '../request-info.js';
import { fromStorageVersion } from '../registry/conversion.js';
import type { GenericRegistry, ListOptions } from '../registry/generic.js';
import type { Resource, StoredObject } from '../registry/strategy.js';
import { parseIncludeObject, partialObjectMetadata, toTable } from '../table.js';

export interface RequestScope {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  info: ResourceRequest;
  /** The resource at the URL's group/version. */
  resource: Resource;
  /** The registry of the resource's storage version. */
  registry: GenericRegistry;
  user: UserInfo;
  accept: Negotiated;
  warnings: string[];
  /** Filled by the handler for metrics/logs: the HTTP code answered. */
  code?: number;
}

export function newScope(
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
  info: ResourceRequest,
  resource: Resource,
  registry: GenericRegistry,
  user: UserInfo,
  accept: Negotiated,
): RequestScope {
  return { req, res, query, info, resource, registry, user, accept, warnings: [] };
}

/** The served form of a stored object: converted to the URL's version when it differs from storage. */
export function served(scope: RequestScope, obj: StoredObject): StoredObject {
  return fromStorageVersion(obj, scope.resource.info);
}

/** JSON of a cached object as served at the URL's version (no work when it is the storage version). */
export function servedJSON(scope: RequestScope, o: CachedObject): string {
  if (!scope.resource.info.storage) return o.json;
  return JSON.stringify(served(scope, JSON.parse(o.json) as StoredObject));
}

/** Answers with one object, as JSON/YAML or as a one-row Table when asked. */
export function respondObject(scope: RequestScope, obj: StoredObject | undefined, status = 200, json?: string): void {
  scope.code = status;
  if (scope.accept.table) {
    const include = parseIncludeObject(scope.query.get('includeObject'));
    if (!include) throw badRequest(`includeObject: Unsupported value: "${scope.query.get('includeObject')}"`);
    const object = obj ?? (JSON.parse(json!) as StoredObject);
    writeObject(scope.req, scope.res, toTable([object], { include, convertor: scope.registry.resource.strategy.table }), { status, type: scope.accept.type, warnings: scope.warnings });
    return;
  }
  if (scope.accept.partialMetadata) {
    const object = obj ?? (JSON.parse(json!) as StoredObject);
    writeObject(scope.req, scope.res, partialObjectMetadata(object), { status, type: scope.accept.type, warnings: scope.warnings });
    return;
  }
  writeObject(scope.req, scope.res, obj, { status, json, type: scope.accept.type, warnings: scope.warnings });
}

/** The kind of the list (`PodList`). */
export function listKind(scope: RequestScope): string {
  return `${scope.resource.info.kind}List`;
}

/** Lists with more items than this are written as they are serialized, not joined into one text first. */
const PIECEWISE_LIST_ITEMS = 1000;

/** Answers with a list of cached objects, serialized by concatenation (no re-encoding of items). */
export async function respondList(
  scope: RequestScope,
  items: readonly CachedObject[],
  meta: { resourceVersion: string; continue?: string; remainingItemCount?: number },
): Promise<void> {
  scope.code = 200;
  const listMeta: Record<string, unknown> = { resourceVersion: meta.resourceVersion };
  if (meta.continue) listMeta.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) listMeta.remainingItemCount = meta.remainingItemCount;
  if (scope.accept.table) {
    const include = parseIncludeObject(scope.query.get('includeObject'));
    if (!include) throw badRequest(`includeObject: Unsupported value: "${scope.query.get('includeObject')}"`);
    const objects = items.map((o) => served(scope, JSON.parse(o.json) as StoredObject));
    writeObject(scope.req, scope.res, toTable(objects, { include, listMeta, convertor: scope.registry.resource.strategy.table }), { type: scope.accept.type, warnings: scope.warnings });
    return;
  }
  if (scope.accept.partialMetadata) {
    const list = {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: listMeta,
      items: items.map((o) => partialObjectMetadata(JSON.parse(o.json) as StoredObject)),
    };
    writeObject(scope.req, scope.res, list, { type: scope.accept.type, warnings: scope.warnings });
    return;
  }
  const head = JSON.stringify({ kind: listKind(scope), apiVersion: apiVersionOf(scope.resource.info), metadata: listMeta });
  if (items.length > PIECEWISE_LIST_ITEMS && scope.accept.type === JSON_TYPE) {
    await writeJSONPieces(scope.req, scope.res, listPieces(scope, head, items), { warnings: scope.warnings });
    return;
  }
  const body = `${head.slice(0, -1)},"items":[${items.map((o) => servedJSON(scope, o)).join(',')}]}`;
  writeObject(scope.req, scope.res, undefined, { json: body, type: scope.accept.type, warnings: scope.warnings });
}

/** The text of a list, piece by piece: its head, then each item (serialized only when its turn comes). */
function* listPieces(scope: RequestScope, head: string, items: readonly CachedObject[]): Generator<string> {
  yield `${head.slice(0, -1)},"items":[`;
  for (let i = 0; i < items.length; i++) yield i === 0 ? servedJSON(scope, items[i]!) : `,${servedJSON(scope, items[i]!)}`;
  yield ']}';
}

/** Larger limits are served as this (storage backends take 32-bit limits). */
const MAX_LIST_LIMIT = 1_000_000_000;

/** Parses the selector and paging options of a list, watch or deletecollection. */
export function parseListOptions(scope: RequestScope): ListOptions & { labelSelector: LabelSelector; fieldSelector: FieldSelector } {
  const q = scope.query;
  const labelSelector = parseLabelSelector(q.get('labelSelector') ?? '');
  const fieldSelector = parseFieldSelector(q.get('fieldSelector') ?? '');
  const supported = new Set(['metadata.name', ...(scope.resource.info.namespaced ? ['metadata.namespace'] : []), ...(scope.resource.strategy.selectableFields ?? scope.registry.resource.strategy.selectableFields ?? [])]);
  checkFieldLabels(fieldSelector, supported);
  const limitText = q.get('limit');
  let limit = 0;
  if (limitText !== null && limitText !== '') {
    // An int64 in Kubernetes; past that it is a parse error. Any limit past what one list could hold is "all".
    if (!/^-?\d+$/.test(limitText) || BigInt(limitText) > 9223372036854775807n || BigInt(limitText) < -9223372036854775808n) {
      throw badRequest(`limit: Invalid value: "${limitText}": must be an integer`);
    }
    limit = Math.min(Math.max(0, Number(limitText)), MAX_LIST_LIMIT);
  }
  const opts: ListOptions & { labelSelector: LabelSelector; fieldSelector: FieldSelector } = { labelSelector, fieldSelector, limit };
  if (scope.info.namespace) opts.namespace = scope.info.namespace;
  const cont = q.get('continue');
  if (cont) opts.continue = cont;
  const rv = q.get('resourceVersion');
  if (rv !== null) opts.resourceVersion = rv;
  const match = q.get('resourceVersionMatch');
  if (match) opts.resourceVersionMatch = match;
  return opts;
}
