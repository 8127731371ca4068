/**
 * The node's heartbeat Lease in kube-node-lease (the kubelet's nodelease controller): renewed every 10 s, owned
 * by the Node, so the node lifecycle controller sees the node alive between status updates. The simulated nodes
 * renew theirs through the same code.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isAlreadyExists, isNotFound } from '../client/errors.js';
import type { ResourceClient } from '../client/client.js';
import type { KubeObject } from '../client/types.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** kubelet's --node-lease-duration-seconds default. */
export const LEASE_DURATION_SECONDS = 40;

/** The Lease of node `name`, renewed at `renewTime` (a MicroTime), owned by the Node when its UID is known. */
export function nodeLease(name: string, renewTime: string, nodeUid?: string): Lease & KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] } : {}),
    },
    spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
  };
}

/** Writes the Lease: an update, or a create when it does not exist yet (or was deleted). */
export async function renewNodeLease(leases: ResourceClient<Lease & KubeObject>, lease: Lease & KubeObject): Promise<void> {
  try {
    await leases.update(lease);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await leases.create(lease);
    } catch (createErr) {
      if (!isAlreadyExists(createErr)) throw createErr;
    }
  }
}
