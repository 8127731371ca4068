/**
 * A pod's quality-of-service class (status.qosClass), which the pod strategy sets on create as kube does:
 * BestEffort when no container asks for or limits cpu or memory, Guaranteed when every container limits both
 * and asks for exactly its limits, Burstable otherwise.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity, type Quantity } from '../../../apimachinery/quantity.js';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

function nonZero(list: Record<string, unknown> | undefined): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const name of QOS_RESOURCES) {
    const v = list?.[name];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    try {
      const q = parseQuantity(v);
      if (q.sign() > 0) out.set(name, q);
    } catch {
      // Validation reports a malformed quantity; it does not decide the class.
    }
  }
  return out;
}

export function podQOSClass(pod: Pod): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const containers: Container[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = nonZero(c.resources?.requests as Record<string, unknown> | undefined);
    const limits = nonZero(c.resources?.limits as Record<string, unknown> | undefined);
    if (requests.size > 0 || limits.size > 0) any = true;
    if (limits.size < QOS_RESOURCES.length) guaranteed = false;
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (!limit || limit.cmp(request) !== 0) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
