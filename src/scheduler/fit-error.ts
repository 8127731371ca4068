/**
 * The scheduler's "0/N nodes are available: ..." message (kube's FitError.Error): either the PreFilter
 * rejection, or a histogram of the filter reasons over nodes as "<count> <reason>" sorted as strings (so
 * "10 ..." sorts before "2 ..." exactly as in kube), then the PostFilter (preemption) message.
 */
import type { NodeToStatus } from './framework.js';

/** The diagnosis of a failed cycle. */
export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  /** The PreFilter plugin's message when PreFilter rejected the pod. */
  preFilterMsg?: string;
  /** The PostFilter (preemption) plugin's message. */
  postFilterMsg?: string;
  /** Plugins that rejected the pod, for requeueing. */
  unschedulablePlugins: Set<string>;
}

/** kube's FitError message. */
export function fitErrorMessage(numAllNodes: number, nodeToStatus: NodeToStatus, preFilterMsg = '', postFilterMsg = ''): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const st of nodeToStatus.values()) for (const r of st.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort(goStringLess);
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  // kube appends " %v." here, doubling the period the preemption message already ends with; the issue's
  // message form (and what users compare against) has one.
  if (postFilterMsg) msg += postFilterMsg.endsWith('.') ? ` ${postFilterMsg}` : ` ${postFilterMsg}.`;
  return msg;
}

/** Go's sort.Strings order: by UTF-8 bytes (JS's default sort compares UTF-16 units; same for ASCII). */
function goStringLess(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** The error a cycle ends with when no node fits. */
export class FitError extends Error {
  constructor(readonly numAllNodes: number, readonly diagnosis: Diagnosis) {
    super(fitErrorMessage(numAllNodes, diagnosis.nodeToStatus, diagnosis.preFilterMsg, diagnosis.postFilterMsg));
    this.name = 'FitError';
  }
}
