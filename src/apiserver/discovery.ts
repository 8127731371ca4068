/**
 * Discovery: what the server serves, in both forms kubectl 1.32 reads — the legacy documents (/api,
 * /apis, /apis/<group>, /api/v1, /apis/<group>/<version>) and aggregated discovery
 * (apidiscovery.k8s.io/v2 APIGroupDiscoveryList at /api and /apis). Built once from the registry.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, ResourceRegistry, type ResourceInfo } from '../api/registry.js';

/** The Content-Type of an aggregated discovery answer; kubectl checks it to know what it got. */
export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const SUBRESOURCE_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  finalize: ['update'],
  binding: ['create'],
  eviction: ['create'],
  token: ['create'],
  // The connect subresources served by the node proxy (src/apiserver/proxy/).
  log: ['get'],
  exec: ['create', 'get'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
};

function subresourceKind(info: ResourceInfo, sub: string): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  if (sub === 'binding') return { group: '', version: 'v1', kind: 'Binding' };
  if (sub === 'eviction') return { group: 'policy', version: 'v1', kind: 'Eviction' };
  const options: Record<string, string> = { exec: 'PodExecOptions', attach: 'PodAttachOptions', portforward: 'PodPortForwardOptions', proxy: `${info.kind}ProxyOptions` };
  if (options[sub]) return { group: '', version: 'v1', kind: options[sub] };
  if (sub === 'token') return { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' };
  return { group: '', version: '', kind: info.kind };
}

/** A short, stable hash kubectl uses to notice storage changes (kube-apiserver's storageVersionHash). */
function storageVersionHash(info: ResourceInfo): string {
  const sv = info.storage ?? { group: info.group, version: info.version };
  return createHash('sha256').update(`${sv.group}/${sv.version}/${info.kind}`).digest('base64').slice(0, 11);
}

export class Discovery {
  /** Pre-serialized documents by path (and `agg:` + path for aggregated ones). */
  private readonly documents = new Map<string, string>();

  constructor(registry: ResourceRegistry, serverAddress: string) {
    const groups = registry.groups();
    const core = groups.find((g) => g.group === '');
    this.documents.set(
      '/api',
      JSON.stringify({
        kind: 'APIVersions',
        versions: core?.versions ?? [],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
      }),
    );
    const named = groups.filter((g) => g.group !== '');
    const apiGroup = (g: { group: string; versions: string[] }): object => ({
      name: g.group,
      versions: g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g.group}/${g.versions[0]}`, version: g.versions[0] },
    });
    this.documents.set('/apis', JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: named.map(apiGroup) }));
    for (const g of named) {
      this.documents.set(`/apis/${g.group}`, JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) }));
    }
    for (const g of groups) {
      for (const v of g.versions) {
        const path = g.group ? `/apis/${g.group}/${v}` : `/api/${v}`;
        this.documents.set(path, JSON.stringify(this.resourceList(registry.resources(g.group, v), apiVersionOf({ group: g.group, version: v }))));
      }
    }
    this.documents.set('agg:/api', JSON.stringify(this.aggregated(registry, core ? [core] : [])));
    this.documents.set('agg:/apis', JSON.stringify(this.aggregated(registry, named)));
  }

  /** The legacy document at `path`, or the aggregated one when `aggregated`; undefined if there is none. */
  document(path: string, aggregated: boolean): string | undefined {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    if (aggregated && (trimmed === '/api' || trimmed === '/apis')) return this.documents.get(`agg:${trimmed}`);
    return this.documents.get(trimmed);
  }

  private resourceList(resources: ResourceInfo[], groupVersion: string): object {
    const list: object[] = [];
    for (const r of resources) {
      list.push({
        name: r.resource,
        singularName: r.singularName,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
        ...(r.categories ? { categories: r.categories } : {}),
        storageVersionHash: storageVersionHash(r),
      });
      for (const sub of r.subresources ?? []) {
        const kind = subresourceKind(r, sub);
        list.push({
          name: `${r.resource}/${sub}`,
          singularName: '',
          namespaced: r.namespaced,
          ...(kind.group ? { group: kind.group, version: kind.version } : {}),
          kind: kind.kind,
          verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
        });
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: list };
  }

  private aggregated(registry: ResourceRegistry, groups: Array<{ group: string; versions: string[] }>): object {
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: 'apidiscovery.k8s.io/v2',
      metadata: {},
      items: groups.map((g) => ({
        metadata: { name: g.group, creationTimestamp: null },
        versions: g.versions.map((v) => ({
          version: v,
          freshness: 'Current',
          resources: registry.resources(g.group, v).map((r) => ({
            resource: r.resource,
            responseKind: { group: '', version: '', kind: r.kind },
            scope: r.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: r.singularName,
            verbs: r.verbs,
            ...(r.shortNames ? { shortNames: r.shortNames } : {}),
            ...(r.categories ? { categories: r.categories } : {}),
            ...(r.subresources?.length
              ? {
                  subresources: r.subresources.map((sub) => ({
                    subresource: sub,
                    responseKind: subresourceKind(r, sub),
                    verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
                  })),
                }
              : {}),
          })),
        })),
      })),
    };
  }
}
