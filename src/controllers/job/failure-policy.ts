/**
 * The pod failure policy (kube's matchPodFailurePolicy): the first rule that matches a failed pod's container
 * exit codes or pod conditions decides whether the pod fails the job, is ignored, or counts toward backoffLimit.
 */
import type { PodFailurePolicy, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

/** The rule's action and, for FailJob, the message the job's Failed condition carries. */
export interface PodFailurePolicyMatch {
  action: PodFailureAction;
  message: string;
}

function exitCodeMatch(rule: PodFailurePolicyRule, index: number, pod: Pod): string | undefined {
  const req = rule.onExitCodes;
  if (!req) return undefined;
  const statuses: ContainerStatus[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const s of statuses) {
    const code = s.state?.terminated?.exitCode;
    // Containers that exited 0 are left out of the check, as kube documents.
    if (code === undefined || code === 0) continue;
    if (req.containerName && req.containerName !== s.name) continue;
    const listed = req.values.includes(code);
    if (req.operator === 'In' ? listed : !listed) {
      return `Container ${s.name} for pod ${pod.metadata?.namespace}/${pod.metadata?.name} failed with exit code ${code} matching ${rule.action} rule at index ${index}`;
    }
  }
  return undefined;
}

function conditionMatch(rule: PodFailurePolicyRule, index: number, pod: Pod): string | undefined {
  for (const pattern of rule.onPodConditions ?? []) {
    const status = pattern.status ?? 'True';
    if ((pod.status?.conditions ?? []).some((c) => c.type === pattern.type && c.status === status)) {
      return `Pod ${pod.metadata?.namespace}/${pod.metadata?.name} has condition ${pattern.type} matching ${rule.action} rule at index ${index}`;
    }
  }
  return undefined;
}

/** The first rule matching a failed pod, or undefined (default handling: the failure counts). */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailurePolicyMatch | undefined {
  if (!policy || pod.status?.phase !== 'Failed') return undefined;
  for (const [i, rule] of policy.rules.entries()) {
    const message = exitCodeMatch(rule, i, pod) ?? conditionMatch(rule, i, pod);
    if (message !== undefined) return { action: rule.action as PodFailureAction, message };
  }
  return undefined;
}
