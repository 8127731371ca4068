/**
 * Admission: checks every write passes after decoding and before storage, in a fixed order (mutating, then
 * validating). Plugins implement one small interface and are registered in one list (plugins.ts).
 */
import type { UserInfo } from '../auth/authenticator.js';
import type { ResourceInfo } from '../../api/registry.js';
import { failure, qualifiedResource, type GroupResource, type StatusError } from '../../apimachinery/status.js';
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import type { StoredObject } from '../registry/strategy.js';
import type { CachedObject } from '../../storage/cacher/cacher.js';

export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: ResourceInfo;
  subresource: string;
  namespace: string;
  name: string;
  /** The object being written (absent on delete). */
  object?: StoredObject;
  user: UserInfo;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Mutates the object in place; throws a StatusError to refuse. */
  admit?(attrs: AdmissionAttributes): void | Promise<void>;
  /** Refuses by throwing a StatusError; must not change anything. */
  validate?(attrs: AdmissionAttributes): void | Promise<void>;
}

/**
 * Runs every plugin's admit, then every plugin's validate. With a `defaulter`, the object is defaulted first,
 * as kube-apiserver defaults what it decodes before admission (so LimitRanger and ResourceQuota see requests
 * copied from limits); the registry defaults again after admission, which is idempotent.
 */
export class AdmissionChain {
  constructor(
    private readonly plugins: readonly AdmissionPlugin[],
    private readonly defaulter?: (attrs: AdmissionAttributes) => void,
  ) {}

  async run(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.object && this.defaulter) this.defaulter(attrs);
    for (const p of this.plugins) await p.admit?.(attrs);
    for (const p of this.plugins) await p.validate?.(attrs);
  }
}

/**
 * Read access to other objects for plugins, served from the watch cache (never a storage scan per request).
 * `fresh` waits until the cache has caught up with storage, so an object created just before is seen; the
 * reads after it are synchronous, so a plugin can decide on one consistent snapshot of the cache.
 */
export interface ObjectReader {
  /** Waits until the cache holds every write storage has acknowledged. */
  fresh(): Promise<void>;
  /** The revision the cache has reached. */
  readonly revision: number;
  /** The objects of `gr` in `namespace` (or in every namespace / cluster-scoped when undefined), decoded. */
  list(gr: GroupResource, namespace?: string): StoredObject[];
  /** The cached form (key, revision, JSON) of the same, for callers that memoize per revision. */
  listCached(gr: GroupResource, namespace?: string): CachedObject[];
  /** One object, or undefined when it does not exist. */
  get(gr: GroupResource, namespace: string | undefined, name: string): StoredObject | undefined;
  /** Calls `listener` after every change to any cached resource (the watch cache's events). */
  onChange(listener: (change: ObjectChange) => void): () => void;
}

/** One change the watch cache applied. */
export interface ObjectChange {
  gr: GroupResource;
  namespace: string;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
}

/** Whether this request is about `group`/`resource` itself (not one of its subresources). */
export function isResource(attrs: AdmissionAttributes, group: string, resource: string): boolean {
  return attrs.resource.group === group && attrs.resource.resource === resource && attrs.subresource === '';
}

/**
 * The name admission errors show: the request's, else the object's name or generateName (which is resolved
 * only after admission), else `Unknown` — as kube's admission.NewForbidden words it.
 */
function admissionName(attrs: AdmissionAttributes): string {
  if (attrs.name) return attrs.name;
  const meta = attrs.object?.metadata;
  return meta?.name || meta?.generateName || 'Unknown';
}

/** A 403 `<resource> "<name>" is forbidden: <why>` (admission.NewForbidden), with `causes` when given. */
export function admissionForbidden(attrs: AdmissionAttributes, why: string, causes?: StatusCause[]): StatusError {
  const gr = { group: attrs.resource.group, resource: attrs.resource.resource };
  const name = admissionName(attrs);
  return failure(403, 'Forbidden', `${qualifiedResource(gr)} "${name}" is forbidden: ${why}`, {
    name,
    ...(gr.group ? { group: gr.group } : {}),
    kind: gr.resource,
    ...(causes ? { causes } : {}),
  });
}
