/** The pods a Job creates: its template, owned by the job, with the tracking finalizer and, for Indexed jobs, the index. */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { builtinResource } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import { JOB_COMPLETION_INDEX } from './indexes.js';
import { JOB_TRACKING_FINALIZER } from './plan.js';

export const JOBS = builtinResource('batch', 'v1', 'jobs');

export type JobObject = Job & KubeObject;
export type PodObject = Pod & KubeObject;

/** Every container learns its index from the annotation (kube adds JOB_COMPLETION_INDEX the same way). */
function withIndexEnv(c: Container): Container {
  if ((c.env ?? []).some((e) => e.name === 'JOB_COMPLETION_INDEX')) return c;
  const env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } }];
  return { ...c, env };
}

/** A new pod for `job` (for completion `index` of an Indexed job). */
export function podForJob(job: JobObject, index: number | undefined): PodObject {
  const template = structuredClone(job.spec?.template ?? {});
  const name = job.metadata.name!;
  const labels = { ...(template.metadata?.labels ?? {}) };
  const annotations = { ...(template.metadata?.annotations ?? {}) };
  const spec = template.spec ?? { containers: [] };
  let generateName = `${name}-`;
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX] = String(index);
    labels[JOB_COMPLETION_INDEX] = String(index);
    generateName = `${name}-${index}-`;
    // A stable hostname per index, so pods of a headless service's subdomain find each other by index.
    spec.hostname ??= `${name}-${index}`;
    spec.containers = spec.containers.map(withIndexEnv);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv);
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: job.metadata.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [...(template.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

/** The namespace/name key of the Job controlling a pod, if one does. */
export function controllingJobKey(pod: PodObject): string | undefined {
  const ref = (pod.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref || ref.kind !== 'Job' || !ref.apiVersion.startsWith('batch/')) return undefined;
  return `${pod.metadata.namespace}/${ref.name}`;
}
