/** networking.k8s.io/v1 NetworkPolicy: kube's defaults for ports and policy types. */
import { child, items, setDefaultString } from '../defaults/fields.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { validateNetworkPolicy } from '../validation/networking.js';

/**
 * SetDefaults_NetworkPolicy: TCP for every port; without policyTypes, a policy always governs Ingress and
 * also Egress when it has egress rules.
 */
export function defaultNetworkPolicy(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  for (const rule of [...items(spec, 'ingress'), ...items(spec, 'egress')]) {
    for (const port of items(rule, 'ports')) setDefaultString(port, 'protocol', 'TCP');
  }
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    const hasEgress = Array.isArray(spec.egress) && spec.egress.length > 0;
    spec.policyTypes = hasEgress ? ['Ingress', 'Egress'] : ['Ingress'];
  }
}

export const networkPolicyStrategy: ResourceStrategy = {
  validate: (obj) => validateNetworkPolicy(obj),
  validateUpdate: (obj) => validateNetworkPolicy(obj),
  defaults: defaultNetworkPolicy,
};
