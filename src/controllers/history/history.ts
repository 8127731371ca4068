/**
 * Template history for the StatefulSet and DaemonSet controllers (kube's pkg/controller/history): each distinct
 * pod template is an apps/v1 ControllerRevision owned by its set, named `<set>-<hash>` where the hash (kube's
 * `controller-revision-hash`) covers the template and the set's collisionCount. A controller finds or creates
 * the revision of its current template, bumps an older identical revision back to the newest number (a
 * rollback), and deletes the oldest unused revisions beyond revisionHistoryLimit.
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/client.js';
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import { OWNER_UID_INDEX, ownerUIDIndexFunc } from '../../client/indexer.js';
import { builtinResource } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';

export const CONTROLLER_REVISIONS = builtinResource('apps', 'v1', 'controllerrevisions');

/** The label pods and revisions carry (apps.ControllerRevisionHashLabelKey). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

export type ControllerRevisionObject = ControllerRevision & KubeObject;

/** What a revision stores: the template as a strategic-merge patch that replaces it (kube's getPatch). */
export interface TemplatePatch {
  spec: { template: PodTemplateSpec & { $patch: 'replace' } };
}

/** JSON with object keys sorted, so equal data hashes and compares equal however it was serialised. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v ?? null)).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** FNV-1a, 32 bits (what kube's hashers use). */
function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** k8s.io/apimachinery rand.SafeEncodeString: no vowels (no words), no look-alike characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** The hash of revision data with the collision count as probe (kube's HashControllerRevision). */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(stableStringify(data), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== 0) {
    const probe = Buffer.alloc(4);
    probe.writeUInt32LE(collisionCount >>> 0);
    h = fnv32a(probe, h);
  }
  return safeEncodeString(String(h));
}

/** The data a revision of `template` holds. */
export function templatePatch(template: PodTemplateSpec | undefined): TemplatePatch {
  return { spec: { template: { ...structuredClone(template ?? {}), $patch: 'replace' } } };
}

/** The template a revision holds. */
export function templateOfRevision(rev: ControllerRevision): PodTemplateSpec {
  const data = rev.data as Partial<TemplatePatch> | undefined;
  const { $patch: _replace, ...template } = data?.spec?.template ?? ({ $patch: 'replace' } as TemplatePatch['spec']['template']);
  return structuredClone(template);
}

/** `<parent>-<hash>`, the parent part cut so the name stays a valid object name (kube's ControllerRevisionName). */
export function controllerRevisionName(parent: string, hash: string): string {
  return `${parent.length > 223 ? parent.slice(0, 223) : parent}-${hash}`;
}

/** Whether two revisions hold the same data (kube's EqualRevision). */
export function equalRevision(a: ControllerRevision, b: ControllerRevision): boolean {
  return stableStringify(a.data) === stableStringify(b.data);
}

/** The revision number after the newest of `revisions` (1 for none). */
export function nextRevision(revisions: readonly ControllerRevision[]): number {
  let max = 0;
  for (const r of revisions) max = Math.max(max, r.revision ?? 0);
  return max + 1;
}

/** Revisions ordered oldest first (by number, then name, as kube's ByRevision). */
export function sortRevisions<T extends ControllerRevision>(revisions: readonly T[]): T[] {
  return [...revisions].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** The set a controller keeps history for: its kind names the owner reference. */
export interface RevisionParent extends KubeObject {
  spec?: { template?: PodTemplateSpec; revisionHistoryLimit?: number };
  status?: { collisionCount?: number };
}

/** A new, unsaved revision of `parent`'s template (kube's NewControllerRevision). */
export function newRevision(parent: RevisionParent, ownerRef: { apiVersion: string; kind: string }, revision: number, collisionCount?: number): ControllerRevisionObject {
  const data = templatePatch(parent.spec?.template);
  const hash = hashRevisionData(data, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.metadata.name ?? '', hash),
      namespace: parent.metadata.namespace,
      labels: { ...(parent.spec?.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [{ ...ownerRef, name: parent.metadata.name ?? '', uid: parent.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    data: data as unknown as ControllerRevision['data'],
    revision,
  };
}

/** The hash part of a revision's name (its `controller-revision-hash` label). */
export function revisionHash(rev: ControllerRevision): string {
  return rev.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? (rev.metadata?.name ?? '').split('-').pop() ?? '';
}

/** The current and update revisions a sync works with, and the collision count to write to status. */
export interface Revisions {
  current: ControllerRevisionObject;
  update: ControllerRevisionObject;
  /** Every revision the parent owns (including `update`), oldest first. */
  all: ControllerRevisionObject[];
  collisionCount: number;
}

/** Reads and writes one kind of parent's ControllerRevisions through the client and a revisions informer. */
export class RevisionHistory {
  constructor(
    private readonly client: Client,
    private readonly informer: SharedInformer<ControllerRevisionObject>,
    private readonly owner: { apiVersion: string; kind: string },
  ) {
    informer.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc });
  }

  private revisions(ns: string) {
    return this.client.resource<ControllerRevisionObject>(CONTROLLER_REVISIONS).namespace(ns);
  }

  /** The revisions `parent` controls, oldest first. */
  list(parent: KubeObject): ControllerRevisionObject[] {
    const uid = parent.metadata.uid ?? '';
    const owned = this.informer.indexer.byIndex(OWNER_UID_INDEX, uid).filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === uid && o.controller));
    return sortRevisions(owned);
  }

  /**
   * Finds or creates the revision of `parent`'s template, and picks the current one (the revision named by
   * `currentRevisionName`, else the update revision). An existing identical revision that is not the newest is
   * renumbered as the newest (a rollback); a name taken by different data is a hash collision: the collision
   * count goes up and the name is tried again.
   */
  async revisionsFor(parent: RevisionParent, currentRevisionName?: string): Promise<Revisions> {
    let all = this.list(parent);
    let collisionCount = parent.status?.collisionCount ?? 0;
    const next = nextRevision(all);
    const wanted = newRevision(parent, this.owner, next, collisionCount);
    const equal = all.filter((r) => equalRevision(r, wanted));
    let update: ControllerRevisionObject;
    const newest = all[all.length - 1];
    if (equal.length > 0 && newest && equalRevision(newest, wanted)) {
      update = newest;
    } else if (equal.length > 0) {
      const found = equal[equal.length - 1]!;
      update = await this.revisions(found.metadata.namespace ?? '').patch(found.metadata.name ?? '', 'merge', { revision: next });
    } else {
      const created = await this.create(parent, next, collisionCount);
      update = created.revision;
      collisionCount = created.collisionCount;
    }
    all = sortRevisions([...all.filter((r) => r.metadata.name !== update.metadata.name), update]);
    const current = all.find((r) => r.metadata.name === currentRevisionName) ?? update;
    return { current, update, all, collisionCount };
  }

  /** Creates the revision, moving past hash collisions (kube's history.CreateControllerRevision). */
  private async create(parent: RevisionParent, revision: number, collisionCount: number): Promise<{ revision: ControllerRevisionObject; collisionCount: number }> {
    for (let count = collisionCount; ; count++) {
      const rev = newRevision(parent, this.owner, revision, count);
      const client = this.revisions(parent.metadata.namespace ?? '');
      try {
        return { revision: await client.create(rev), collisionCount: count };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await client.get(rev.metadata.name ?? '');
        // The same data under the same name (our cache had not seen it yet): not a collision.
        if (equalRevision(existing, rev)) return { revision: existing, collisionCount: count };
      }
    }
  }

  /**
   * Deletes the oldest revisions no pod uses (`live` holds the names in use) beyond the parent's
   * revisionHistoryLimit (default 10), as kube's truncateHistory.
   */
  async truncate(parent: RevisionParent, revisions: readonly ControllerRevisionObject[], live: ReadonlySet<string>): Promise<void> {
    const limit = parent.spec?.revisionHistoryLimit ?? 10;
    const history = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name ?? ''));
    const excess = history.length - limit;
    for (const r of history.slice(0, Math.max(0, excess))) {
      try {
        await this.revisions(r.metadata.namespace ?? '').delete(r.metadata.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
