/**
 * What the kubelet's HTTPS server needs from the kubelet core (kube's server.HostInterface, kept small):
 * the runtime to open streams on, and the pods this node runs with, for each container, where its logs are
 * and whether it runs. The kubelet implements it from its pod workers' state.
 */
import type { RuntimeService } from '../cri/types.js';

/** One container of a pod as the server sees it. */
export interface ServedContainer {
  /** The runtime's ID of the current (latest) instance; absent until it was created. */
  id?: string;
  /** Absolute path of the current instance's CRI log file. */
  logPath?: string;
  /** Absolute path of the previous instance's log (`kubectl logs --previous`); absent when there is none. */
  previousLogPath?: string;
  /** Whether the current instance runs (exec/attach need it; `logs -f` ends when it stops). */
  running: boolean;
  /** The waiting reason for messages (`ContainerCreating`, `CrashLoopBackOff`, `ImagePullBackOff`...). */
  waitingReason?: string;
}

/** A pod this node runs. */
export interface ServedPod {
  uid: string;
  /** The pod's sandbox, once created (port-forward needs it). */
  sandboxId?: string;
  /** By container name: init containers, sidecars and containers alike. */
  containers: Record<string, ServedContainer>;
}

export interface KubeletServerHost {
  runtime: RuntimeService;
  /** The pod `namespace/name` on this node, or undefined when this node does not run it. */
  findPod(namespace: string, name: string): ServedPod | undefined;
  /**
   * Whether the container is still running, asked while `logs -f` follows it. Defaults to re-reading
   * `findPod` (fine when the host's pod state is live).
   */
  isContainerRunning?(namespace: string, pod: string, container: string, id: string): boolean | Promise<boolean>;
  /** The Summary API answer (`/stats/summary`): node, pod and container CPU and memory. */
  summary?(): Promise<unknown>;
}
