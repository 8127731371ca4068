/**
 * Deployment helpers (kube's deployment/util): the pod-template-hash, revisions and the replica annotations
 * on ReplicaSets, maxSurge/maxUnavailable resolved against the replica count, and template equality.
 */
import type { Deployment, DeploymentCondition, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/types.js';
import { rfc3339 } from '../../apimachinery/time.js';

export type DeploymentObject = Deployment & KubeObject;
export type ReplicaSetObject = ReplicaSet & KubeObject;

export const DEFAULT_DEPLOYMENT_UNIQUE_LABEL = 'pod-template-hash';
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Annotations a Deployment does not pass to its ReplicaSets. */
const NOT_COPIED = new Set([LAST_APPLIED, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION]);

/** JSON with object keys sorted, so equal values give equal strings. */
export function stableJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJSON).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJSON(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The characters kube's rand.SafeEncodeString uses (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The pod-template-hash of `template` with `collisionCount` (FNV-32a, encoded as kube encodes it). */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const feed = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  };
  feed(stableJSON(template ?? {}));
  if (collisionCount !== undefined) feed(String(collisionCount));
  return [...String(h >>> 0)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** Whether two templates are the same apart from the pod-template-hash label (kube's EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): unknown => {
    const c = structuredClone(t ?? {});
    if (c.metadata?.labels) {
      delete c.metadata.labels[DEFAULT_DEPLOYMENT_UNIQUE_LABEL];
      if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
    }
    return c;
  };
  return stableJSON(strip(a)) === stableJSON(strip(b));
}

export function revisionOf(obj: KubeObject): number {
  const v = Number(obj.metadata.annotations?.[REVISION_ANNOTATION] ?? '0');
  return Number.isFinite(v) ? v : 0;
}

export function maxRevision(sets: readonly ReplicaSetObject[]): number {
  return Math.max(0, ...sets.map(revisionOf));
}

export const replicasOf = (rs: ReplicaSet | undefined): number => rs?.spec?.replicas ?? 0;

/** An int-or-percent against `total`, rounded up or down (kube's GetScaledValueFromIntOrPercent). */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** maxSurge and maxUnavailable as pod counts; both zero would stall, so unavailable becomes 1 (kube's ResolveFenceposts). */
export function resolveFenceposts(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const desired = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.type === 'Recreate' ? undefined : d.spec?.strategy?.rollingUpdate;
  const maxSurge = scaledValue(ru?.maxSurge as number | string | undefined, desired, true);
  let maxUnavailable = scaledValue(ru?.maxUnavailable as number | string | undefined, desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** The pods that may be unavailable (kube's MaxUnavailable): none for Recreate or zero replicas. */
export function maxUnavailable(d: Deployment): number {
  const desired = d.spec?.replicas ?? 1;
  if (d.spec?.strategy?.type === 'Recreate' || desired === 0) return 0;
  return Math.min(resolveFenceposts(d).maxUnavailable, desired);
}

/** The most pods a Deployment may have during a rolling update. */
export function maxReplicas(d: Deployment): number {
  return (d.spec?.replicas ?? 1) + (d.spec?.strategy?.type === 'Recreate' ? 0 : resolveFenceposts(d).maxSurge);
}

/** `sets` oldest first (kube's ReplicaSetsByCreationTimestamp; name breaks ties). */
export function byCreation<T extends ReplicaSet>(sets: readonly T[]): T[] {
  return [...sets].sort((a, b) => {
    const ta = a.metadata?.creationTimestamp ?? '';
    const tb = b.metadata?.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
  });
}

/** The ReplicaSet running the Deployment's current template (the oldest such, as kube picks it). */
export function findNewReplicaSet(d: Deployment, sets: readonly ReplicaSetObject[]): ReplicaSetObject | undefined {
  return byCreation(sets).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** The annotations a ReplicaSet of `d` gets: the Deployment's own (some excepted) plus the replica ones. */
export function replicaSetAnnotations(d: DeploymentObject, current: Record<string, string> | undefined, revision: number | undefined): Record<string, string> {
  const out: Record<string, string> = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (!NOT_COPIED.has(k)) out[k] = v;
  if (revision !== undefined) out[REVISION_ANNOTATION] = String(revision);
  out[DESIRED_REPLICAS_ANNOTATION] = String(d.spec?.replicas ?? 1);
  out[MAX_REPLICAS_ANNOTATION] = String(maxReplicas(d));
  return out;
}

/** A condition of the given type. */
export function getCondition(d: Deployment, type: string): DeploymentCondition | undefined {
  return d.status?.conditions?.find((c) => c.type === type);
}


/**
 * `conditions` with `cond` set (kube's SetDeploymentCondition): the transition time is kept when the status
 * does not change; the same status and reason change nothing.
 */
export function setCondition(conditions: DeploymentCondition[], cond: DeploymentCondition): DeploymentCondition[] {
  const cur = conditions.find((c) => c.type === cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return conditions;
  const next = { ...cond };
  if (cur && cur.status === cond.status) next.lastTransitionTime = cur.lastTransitionTime;
  return [...conditions.filter((c) => c.type !== cond.type), next];
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now = Date.now()): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}
