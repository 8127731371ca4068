/**
 * The labels and annotations the node agent puts on CRI sandboxes and containers, with the kubelet's own keys,
 * so that everything it needs to know about a container (which pod, which spec hash, which restart) can be read
 * back from the runtime after a restart of the agent: the runtime, not the agent's memory, is the truth.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
export const POD_UID_LABEL = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';
/** Marks what k8ts's node agent created (kube: `io.cri-containerd.kind`, but our own key survives runtimes). */
export const MANAGED_LABEL = 'io.k8ts.managed';

export const CONTAINER_HASH_ANNOTATION = 'io.kubernetes.container.hash';
export const CONTAINER_RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';
export const CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION = 'io.kubernetes.container.terminationMessagePath';
export const CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION = 'io.kubernetes.container.terminationMessagePolicy';
export const POD_DELETION_GRACE_PERIOD_ANNOTATION = 'io.kubernetes.pod.deletionGracePeriod';
export const POD_TERMINATION_GRACE_PERIOD_ANNOTATION = 'io.kubernetes.pod.terminationGracePeriod';
/** Where the agent bind-mounted the termination message file on the host, read back after the container exits. */
export const CONTAINER_TERMINATION_MESSAGE_HOST_PATH_ANNOTATION = 'io.k8ts.container.terminationMessageHostPath';
/** `init`, `sidecar` or `regular`. */
export const CONTAINER_KIND_ANNOTATION = 'io.k8ts.container.kind';

/** The labels of a pod's sandbox (and, with the container name, of its containers). */
export function podLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata?.labels ?? {}),
    [POD_NAME_LABEL]: pod.metadata!.name!,
    [POD_NAMESPACE_LABEL]: pod.metadata!.namespace!,
    [POD_UID_LABEL]: pod.metadata!.uid!,
    [MANAGED_LABEL]: 'true',
  };
}

export function containerLabels(pod: Pod, containerName: string): Record<string, string> {
  return {
    [POD_NAME_LABEL]: pod.metadata!.name!,
    [POD_NAMESPACE_LABEL]: pod.metadata!.namespace!,
    [POD_UID_LABEL]: pod.metadata!.uid!,
    [CONTAINER_NAME_LABEL]: containerName,
    [MANAGED_LABEL]: 'true',
  };
}
