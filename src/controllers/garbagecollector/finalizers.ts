/** The garbage collector's finalizers, as the apiserver puts them on deleted owners. */

/** metav1.FinalizerOrphanDependents: the owner waits until its dependents no longer reference it. */
export const ORPHAN_FINALIZER = 'orphan';
/** metav1.FinalizerDeleteDependents: the owner waits until its blocking dependents are gone. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
