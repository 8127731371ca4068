/**
 * The garbage collector's view of the cluster (kube's GraphBuilder's uidToNode): every object it monitors,
 * by UID, with its owner references, and the reverse index owner UID -> dependents. Rebuilt from the
 * informers' initial lists at start, so nothing is lost across restarts.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject, ResourceRef } from '../../client/types.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './finalizers.js';

export interface ObjectNode {
  uid: string;
  resource: ResourceRef;
  namespace: string;
  name: string;
  ownerReferences: readonly OwnerReference[];
  finalizers: readonly string[];
  beingDeleted: boolean;
}

export function nodeOf(obj: KubeObject, resource: ResourceRef): ObjectNode {
  const m = obj.metadata;
  return {
    uid: m.uid ?? '',
    resource,
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    ownerReferences: m.ownerReferences ?? [],
    finalizers: m.finalizers ?? [],
    beingDeleted: Boolean(m.deletionTimestamp),
  };
}

/** Marked for deletion and waiting for its dependents (foreground deletion). */
export const deletingDependents = (n: ObjectNode): boolean => n.beingDeleted && n.finalizers.includes(FOREGROUND_FINALIZER);
/** Marked for deletion with its dependents to be orphaned. */
export const orphaningDependents = (n: ObjectNode): boolean => n.beingDeleted && n.finalizers.includes(ORPHAN_FINALIZER);

export class Graph {
  private readonly nodes = new Map<string, ObjectNode>();
  private readonly dependents = new Map<string, Set<string>>();

  get(uid: string): ObjectNode | undefined {
    return this.nodes.get(uid);
  }

  /** Adds or replaces a node; answers the one it replaced. */
  upsert(node: ObjectNode): ObjectNode | undefined {
    const old = this.nodes.get(node.uid);
    if (old) this.unlink(old);
    this.nodes.set(node.uid, node);
    for (const ref of node.ownerReferences) {
      let set = this.dependents.get(ref.uid);
      if (!set) this.dependents.set(ref.uid, (set = new Set()));
      set.add(node.uid);
    }
    return old;
  }

  remove(uid: string): ObjectNode | undefined {
    const old = this.nodes.get(uid);
    if (!old) return undefined;
    this.unlink(old);
    this.nodes.delete(uid);
    return old;
  }

  /** The objects (present in the graph) whose owner references name `ownerUID`. */
  dependentsOf(ownerUID: string): ObjectNode[] {
    return [...(this.dependents.get(ownerUID) ?? [])].map((uid) => this.nodes.get(uid)).filter((n): n is ObjectNode => n !== undefined);
  }

  get size(): number {
    return this.nodes.size;
  }

  private unlink(node: ObjectNode): void {
    for (const ref of node.ownerReferences) {
      const set = this.dependents.get(ref.uid);
      set?.delete(node.uid);
      if (set?.size === 0) this.dependents.delete(ref.uid);
    }
  }
}
