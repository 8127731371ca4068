/**
 * The conditions the namespace controller keeps on a terminating namespace, worded as kube's namespace
 * deleter words them: each type is False with an "ok" reason and message unless this pass found a problem.
 */
import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';

export const DISCOVERY_FAILURE = 'NamespaceDeletionDiscoveryFailure';
export const GROUP_VERSION_PARSING_FAILURE = 'NamespaceDeletionGroupVersionParsingFailure';
export const CONTENT_FAILURE = 'NamespaceDeletionContentFailure';
export const CONTENT_REMAINING = 'NamespaceContentRemaining';
export const FINALIZERS_REMAINING = 'NamespaceFinalizersRemaining';

const CONDITION_TYPES = [DISCOVERY_FAILURE, GROUP_VERSION_PARSING_FAILURE, CONTENT_FAILURE, CONTENT_REMAINING, FINALIZERS_REMAINING];

const OK: Record<string, { reason: string; message: string }> = {
  [DISCOVERY_FAILURE]: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  [GROUP_VERSION_PARSING_FAILURE]: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  [CONTENT_FAILURE]: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  [CONTENT_REMAINING]: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  [FINALIZERS_REMAINING]: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** A problem found this pass (status True). */
export interface Problem {
  type: string;
  reason: string;
  message: string;
}

export function discoveryFailed(errors: string[]): Problem {
  return { type: DISCOVERY_FAILURE, reason: 'DiscoveryFailed', message: `Discovery failed for some groups, ${errors.length} failing: ${errors.join(', ')}` };
}

export function contentDeletionFailed(errors: string[]): Problem {
  const all = errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
  return { type: CONTENT_FAILURE, reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${errors.length} remaining: ${all}` };
}

/** `remaining` maps `resource.group` to how many instances are left. */
export function resourcesRemain(remaining: Map<string, number>): Problem {
  const parts = [...remaining].map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
  return { type: CONTENT_REMAINING, reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${parts.join(', ')}` };
}

/** `finalizers` maps a finalizer to how many remaining objects carry it. */
export function finalizersRemain(finalizers: Map<string, number>): Problem {
  const parts = [...finalizers].map(([f, n]) => `${f} in ${n} resource instances`).sort();
  return { type: FINALIZERS_REMAINING, reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${parts.join(', ')}` };
}

/**
 * The namespace's conditions after this pass: every controller-kept type set from `problems` (or ok), a
 * transition time kept while the status does not change, and other conditions left alone.
 */
export function updatedConditions(current: readonly NamespaceCondition[], problems: readonly Problem[], now: string): NamespaceCondition[] {
  const out = current.filter((c) => !CONDITION_TYPES.includes(c.type));
  for (const type of CONDITION_TYPES) {
    const problem = problems.find((p) => p.type === type);
    const next = problem ? { type, status: 'True', reason: problem.reason, message: problem.message } : { type, status: 'False', ...OK[type]! };
    const old = current.find((c) => c.type === type);
    const lastTransitionTime = old && old.status === next.status ? (old.lastTransitionTime ?? now) : now;
    out.push({ ...next, lastTransitionTime });
  }
  return out;
}

/** Whether two condition lists say the same (ignoring order). */
export function sameConditions(a: readonly NamespaceCondition[], b: readonly NamespaceCondition[]): boolean {
  const key = (list: readonly NamespaceCondition[]): string =>
    JSON.stringify([...list].map((c) => [c.type, c.status, c.reason, c.message, c.lastTransitionTime]).sort());
  return key(a) === key(b);
}
