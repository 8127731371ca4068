/**
 * The metadata rules every object follows, whatever its kind: what the server sets on create, and what an
 * update may not change.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectMeta, StoredObject } from './strategy.js';
import { rfc3339 } from '../../apimachinery/time.js';

/** RFC 3339 to the second, as Kubernetes writes metav1.Time. */
export function now(offsetSeconds = 0): string {
  return rfc3339(Date.now() + offsetSeconds * 1000);
}

/**
 * Metadata the server owns on a new object. `generation` is kept by kinds with a spec/status split only,
 * as in Kubernetes; the others do not have one.
 */
export function prepareNewMeta(meta: ObjectMeta, opts: { namespaced: boolean; generation: boolean }): void {
  meta.uid = randomUUID();
  meta.creationTimestamp = now();
  if (opts.generation) meta.generation = 1;
  else delete meta.generation;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (!opts.namespaced) delete meta.namespace;
}

export interface CarryOverOptions {
  /** The write is to the `status` subresource, or a pod's `binding` (which sets spec and status together). */
  subresource?: 'status' | 'binding';
  /** The write is `delete` marking the object (the only writer that may set deletionTimestamp). */
  deleting?: boolean;
  /** The kind has a status subresource: status is written there only, and generation tracks the spec. */
  statusSplit: boolean;
}

/**
 * What an update may not change: identity and timestamps always; status on the main resource and
 * everything but status on `/status`; generation moves only when the spec does.
 */
export function carryOver(obj: StoredObject, old: StoredObject, opts: CarryOverOptions): void {
  const meta = obj.metadata;
  const oldMeta = old.metadata;
  if (opts.subresource === 'status') {
    const status = obj.status;
    for (const k of Object.keys(obj)) delete obj[k];
    Object.assign(obj, structuredClone(old));
    if (status === undefined) delete obj.status;
    else obj.status = status;
    obj.metadata.resourceVersion = meta.resourceVersion;
    return;
  }
  meta.uid = oldMeta.uid;
  meta.creationTimestamp = oldMeta.creationTimestamp;
  meta.namespace = oldMeta.namespace;
  meta.name = oldMeta.name;
  if (!opts.deleting) {
    if (oldMeta.deletionTimestamp) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      if (oldMeta.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
      else delete meta.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
  }
  if (!opts.statusSplit) {
    delete meta.generation;
    return;
  }
  if (opts.subresource !== 'binding') {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
  }
  meta.generation = oldMeta.generation ?? 1;
  if (specChanged(obj, old)) meta.generation += 1;
}

/** Whether anything but metadata and status differs (what bumps `metadata.generation`). */
function specChanged(obj: StoredObject, old: StoredObject): boolean {
  const keys = new Set([...Object.keys(obj), ...Object.keys(old)]);
  for (const k of keys) {
    if (k === 'metadata' || k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    if (JSON.stringify(obj[k]) !== JSON.stringify(old[k])) return true;
  }
  return false;
}
