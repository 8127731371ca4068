/**
 * The resource registry: what the API serves, in Kubernetes' terms (group/version/kind/resource, scope,
 * subresources, short names, categories). Discovery, routing and storage keys are all derived from it, so a
 * resource exists in exactly one place.
 */

/** Every verb a full resource supports, in discovery's order. */
export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
export type Verb = (typeof ALL_VERBS)[number];

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** The plural, lower-case name in URLs (`pods`). */
  resource: string;
  singularName: string;
  namespaced: boolean;
  verbs: readonly Verb[];
  shortNames?: readonly string[];
  categories?: readonly string[];
  /** Served subresources (`status`, `scale`); others are added here as their handlers land. */
  subresources?: readonly string[];
  /**
   * Where objects of this resource are kept when another group/version owns the storage: autoscaling/v1
   * horizontalpodautoscalers are stored as autoscaling/v2, events.k8s.io/v1 events as core v1 events.
   * Absent = this group/version is the storage version. Reads and writes convert between the two.
   */
  storage?: GroupVersion;
}

export type GroupVersion = { group: string; version: string };

/** `apps/v1`, or `v1` for the core group. */
export function apiVersionOf(gv: GroupVersion): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

/** Splits `apps/v1` into group and version (`v1` is the core group). */
export function parseAPIVersion(apiVersion: string): GroupVersion {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The registry of served resources, indexed for the lookups routing, discovery and clients need. */
export class ResourceRegistry {
  private readonly byGVR = new Map<string, ResourceInfo>();
  private readonly byGVK = new Map<string, ResourceInfo>();
  private readonly groupVersions = new Map<string, string[]>();

  constructor(resources: readonly ResourceInfo[] = []) {
    for (const r of resources) this.register(r);
  }

  register(info: ResourceInfo): void {
    const gvr = `${info.group}/${info.version}/${info.resource}`;
    if (this.byGVR.has(gvr)) throw new Error(`resource ${gvr} registered twice`);
    this.byGVR.set(gvr, info);
    this.byGVK.set(`${info.group}/${info.version}/${info.kind}`, info);
    const versions = this.groupVersions.get(info.group) ?? [];
    if (!versions.includes(info.version)) versions.push(info.version);
    this.groupVersions.set(info.group, versions);
  }

  get(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byGVR.get(`${group}/${version}/${resource}`);
  }

  byKind(group: string, version: string, kind: string): ResourceInfo | undefined {
    return this.byGVK.get(`${group}/${version}/${kind}`);
  }

  /** Resources served in one group/version, in registration order. */
  resources(group: string, version: string): ResourceInfo[] {
    return [...this.byGVR.values()].filter((r) => r.group === group && r.version === version);
  }

  all(): ResourceInfo[] {
    return [...this.byGVR.values()];
  }

  /** Groups with their versions, preferred version first; the core group is `''`. */
  groups(): Array<{ group: string; versions: string[] }> {
    return [...this.groupVersions].map(([group, versions]) => ({ group, versions: sortVersions(versions) }));
  }

  hasGroupVersion(group: string, version: string): boolean {
    return this.groupVersions.get(group)?.includes(version) ?? false;
  }
}

/**
 * Kubernetes' version priority: GA before beta before alpha, higher numbers first (v2 > v1 > v1beta2 > v1beta1).
 */
export function sortVersions(versions: readonly string[]): string[] {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stability = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stability, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2] || a.localeCompare(b);
  });
}
