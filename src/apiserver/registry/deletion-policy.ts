/**
 * Which garbage-collection finalizers a delete leaves on an object (Kubernetes' deletionFinalizersForGarbageCollection):
 * `orphan` when the dependents are to be orphaned, `foregroundDeletion` when the owner waits for them. An explicit
 * policy in the DeleteOptions wins, then a finalizer the object already carries, then the kind's default.
 */
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';

/** metav1.FinalizerOrphanDependents. */
export const ORPHAN_FINALIZER = 'orphan';
/** metav1.FinalizerDeleteDependents. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** What a kind does with its dependents when a delete names no policy (kube's DefaultGarbageCollectionPolicy). */
export type GarbageCollectionPolicy = 'DeleteDependents' | 'OrphanDependents';

function shouldOrphan(finalizers: readonly string[], options: DeleteOptions, defaultPolicy: GarbageCollectionPolicy): boolean {
  if (options.orphanDependents !== undefined && options.orphanDependents !== null) return options.orphanDependents;
  switch (options.propagationPolicy) {
    case 'Orphan':
      return true;
    case 'Background':
    case 'Foreground':
      return false;
  }
  for (const f of finalizers) {
    if (f === ORPHAN_FINALIZER) return true;
    if (f === FOREGROUND_FINALIZER) return false;
  }
  return defaultPolicy === 'OrphanDependents';
}

function shouldDeleteInForeground(finalizers: readonly string[], options: DeleteOptions): boolean {
  if (options.orphanDependents !== undefined && options.orphanDependents !== null) return false;
  if (options.propagationPolicy) return options.propagationPolicy === 'Foreground';
  return finalizers.includes(FOREGROUND_FINALIZER);
}

/** The finalizers an object keeps once a delete with `options` has marked it (the others in their order). */
export function deletionFinalizers(finalizers: readonly string[], options: DeleteOptions, defaultPolicy: GarbageCollectionPolicy = 'DeleteDependents'): string[] {
  const out = finalizers.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (shouldOrphan(finalizers, options, defaultPolicy)) out.push(ORPHAN_FINALIZER);
  else if (shouldDeleteInForeground(finalizers, options)) out.push(FOREGROUND_FINALIZER);
  return out;
}
