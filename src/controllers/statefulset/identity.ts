/**
 * A StatefulSet pod's identity (kube's stateful_set_utils): its ordinal and stable name `<set>-<ordinal>`, the
 * labels naming it, hostname and subdomain for the governing Service, and one PersistentVolumeClaim per claim
 * template named `<claim>-<set>-<ordinal>`, which outlives the pod. Claims own nothing and are owned as the
 * persistentVolumeClaimRetentionPolicy says, through owner references the garbage collector follows.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../client/types.js';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history/history.js';
import { newControllerRef, podFromTemplate, type PodObject } from '../replicaset/pods.js';

export type StatefulSetObject = StatefulSet & KubeObject;
export type ClaimObject = PersistentVolumeClaim & KubeObject;

/** apps.StatefulSetPodNameLabel. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** apps.PodIndexLabel. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export const STATEFULSET_OWNER = { apiVersion: 'apps/v1', kind: 'StatefulSet' } as const;

/** The ordinal of `podName` in the set `setName`, or undefined when the pod is not named like one of its pods. */
export function ordinalOf(setName: string, podName: string | undefined): number | undefined {
  if (!podName?.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(rest)) return undefined;
  return Number(rest);
}

export function podName(set: KubeObject, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function claimName(claimTemplate: string, set: KubeObject, ordinal: number): string {
  return `${claimTemplate}-${set.metadata.name}-${ordinal}`;
}

/** The revision (ControllerRevision name) a pod was made from. */
export function podRevision(pod: PodObject): string | undefined {
  return pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
}

/** The first ordinal (spec.ordinals.start) and the replicas wanted. */
export function ordinalRange(set: StatefulSet): { start: number; end: number } {
  const start = set.spec?.ordinals?.start ?? 0;
  return { start, end: start + (set.spec?.replicas ?? 1) };
}

/** The claims of pod `ordinal`, as the set's claim templates make them (kube's getPersistentVolumeClaims). */
export function claimsFor(set: StatefulSetObject, ordinal: number): ClaimObject[] {
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(t.metadata?.name ?? '', set, ordinal),
      namespace: set.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}

/**
 * Pod `ordinal` of the set from the template of `revisionName` (kube's newVersionedStatefulSetPod): stable
 * name and labels, hostname and subdomain, and each claim template's volume pointing at its claim.
 */
export function newStatefulSetPod(set: StatefulSetObject, template: PodTemplateSpec, revisionName: string, ordinal: number): PodObject {
  const pod = podFromTemplate(template, set, newControllerRef(set, STATEFULSET_OWNER.apiVersion, STATEFULSET_OWNER.kind));
  const name = podName(set, ordinal);
  delete pod.metadata.generateName;
  pod.metadata.name = name;
  pod.metadata.labels = {
    ...(pod.metadata.labels ?? {}),
    [POD_NAME_LABEL]: name,
    [POD_INDEX_LABEL]: String(ordinal),
    [CONTROLLER_REVISION_HASH_LABEL]: revisionName,
  };
  const spec = pod.spec!;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const volumes: Volume[] = [...(spec.volumes ?? [])];
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const volume: Volume = { name: t.metadata?.name ?? '', persistentVolumeClaim: { claimName: claimName(t.metadata?.name ?? '', set, ordinal) } };
    const i = volumes.findIndex((v) => v.name === volume.name);
    if (i >= 0) volumes[i] = volume;
    else volumes.push(volume);
  }
  if (volumes.length > 0) spec.volumes = volumes;
  return pod;
}

/**
 * The owner references a claim should carry under the retention policy (kube's updateClaimOwnerRefForSetAndPod):
 * whenDeleted=Delete makes the set an owner (the claim goes with the set), whenScaled=Delete makes a condemned
 * pod (ordinal past the replicas) an owner (the claim goes with the pod). Other owners are kept as they are.
 */
export function claimOwnerRefs(claim: ClaimObject, set: StatefulSetObject, pod: PodObject | undefined, condemned: boolean): OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy ?? {};
  const setUID = set.metadata.uid ?? '';
  const podUID = pod?.metadata.uid;
  const refs = (claim.metadata.ownerReferences ?? []).filter((r) => r.uid !== setUID && (podUID === undefined || r.uid !== podUID));
  if (policy.whenDeleted === 'Delete') refs.push({ ...STATEFULSET_OWNER, name: set.metadata.name ?? '', uid: setUID });
  if (condemned && pod && podUID && policy.whenScaled === 'Delete') refs.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', uid: podUID });
  return refs;
}

/** Whether two owner-reference lists name the same owners (order aside). */
export function sameOwners(a: readonly OwnerReference[] | undefined, b: readonly OwnerReference[] | undefined): boolean {
  const uids = (refs: readonly OwnerReference[] | undefined): string => (refs ?? []).map((r) => r.uid).sort().join(',');
  return uids(a) === uids(b);
}
