/**
 * Completion indexes of Indexed jobs: the `batch.kubernetes.io/job-completion-index` annotation of a pod, and
 * status.completedIndexes in kube's compressed interval form (`1,3-5,7`).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

/** The annotation (and label) holding an Indexed job pod's completion index. */
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

/** A pod's completion index, or undefined when it has none (or a malformed one). */
export function podCompletionIndex(pod: Pod, completions: number): number | undefined {
  const value = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata?.labels?.[JOB_COMPLETION_INDEX];
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const index = Number(value);
  return index < completions ? index : undefined;
}

/** Parses `1,3-5` into a set of indexes below `completions` (malformed parts are ignored, as kube does). */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (let i = first; i <= last && i < completions; i++) out.add(i);
  }
  return out;
}

/** Formats indexes as sorted intervals: `[1,3,4,5,7]` -> `1,3-5,7`. */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
