/**
 * Discovery: which resources the server serves, at each group's preferred version (client-go's
 * ServerPreferredResources), as ResourceRefs with their verbs, and the kind -> resource mapping
 * (a RESTMapper) that owner references need.
 */
import type { Client } from './client.js';
import { groupVersionPath } from './client.js';
import type { ResourceRef } from './types.js';

/** A served resource: where it lives, its kind and what can be done with it. */
export interface DiscoveredResource extends ResourceRef {
  kind: string;
  verbs: string[];
}

interface APIResourceList {
  resources: Array<{ name: string; namespaced: boolean; kind: string; verbs: string[] }>;
}

export class Discovery {
  constructor(private readonly client: Client) {}

  /** Every top-level resource at its group's preferred version (core v1 first). */
  async serverPreferredResources(): Promise<DiscoveredResource[]> {
    const core = await this.client.requestJSON<{ versions: string[] }>('GET', '/api');
    const groups = await this.client.requestJSON<{ groups: Array<{ name: string; preferredVersion: { version: string } }> }>('GET', '/apis');
    const gvs: Array<{ group: string; version: string }> = [
      ...core.versions.slice(0, 1).map((version) => ({ group: '', version })),
      ...groups.groups.map((g) => ({ group: g.name, version: g.preferredVersion.version })),
    ];
    const lists = await Promise.all(gvs.map(async (gv) => ({ gv, list: await this.client.requestJSON<APIResourceList>('GET', groupVersionPath(gv.group, gv.version)) })));
    const out: DiscoveredResource[] = [];
    for (const { gv, list } of lists) {
      for (const r of list.resources) {
        if (r.name.includes('/')) continue;
        out.push({ group: gv.group, version: gv.version, resource: r.name, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs });
      }
    }
    return out;
  }
}

/** Kind -> resource at an apiVersion, from discovered resources (what an ownerReference names). */
export class RESTMapper {
  private readonly byKind = new Map<string, DiscoveredResource>();

  constructor(resources: readonly DiscoveredResource[]) {
    for (const r of resources) this.byKind.set(`${r.group}/${r.kind}`, r);
  }

  /** The resource for `apiVersion` + `kind` (at that version when served, else the preferred one). */
  resourceFor(apiVersion: string, kind: string): ResourceRef | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const r = this.byKind.get(`${group}/${kind}`);
    return r ? { ...r, version: r.version === version ? version : r.version } : undefined;
  }
}
