/**
 * autoscaling HorizontalPodAutoscaler (stored as v2): kube's v2 defaults, which autoscaling/v1 objects get too
 * since they are converted to v2 first.
 */
import { child, ensure, setDefault, setDefaultString, type Fields } from '../defaults/fields.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateHorizontalPodAutoscaler } from '../validation/cluster.js';
import { horizontalPodAutoscalerTable } from '../../printers/horizontalpodautoscalers.js';

/** The CPU utilization target an HPA without metrics scales on. */
const DEFAULT_CPU_UTILIZATION = 80;

/** Scale up by at most 4 pods or 100% per 15s, whichever is more, at once. */
const scaleUpRules = (): Fields => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});

/** Scale down by up to 100% per 15s, after five minutes of stable recommendations. */
const scaleDownRules = (): Fields => ({
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
});

/** A behavior's rules with every unset field taken from the defaults (GenerateHPAScale{Up,Down}Rules). */
function fillRules(behavior: Fields, key: string, defaults: Fields): void {
  const rules = child(behavior, key);
  if (!rules) {
    behavior[key] = defaults;
    return;
  }
  setDefault(rules, 'stabilizationWindowSeconds', defaults.stabilizationWindowSeconds);
  setDefaultString(rules, 'selectPolicy', defaults.selectPolicy as string);
  setDefault(rules, 'policies', defaults.policies);
}

/**
 * SetDefaults_HorizontalPodAutoscaler (v2): minReplicas 1, 80% CPU when no metric is given, and — only when a
 * behavior is given — its unset scaleUp/scaleDown rules filled from the defaults.
 */
export function defaultHorizontalPodAutoscaler(obj: StoredObject): void {
  const spec = ensure(obj, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  const behavior = child(spec, 'behavior');
  if (behavior) {
    fillRules(behavior, 'scaleUp', scaleUpRules());
    fillRules(behavior, 'scaleDown', scaleDownRules());
  }
}

export const horizontalPodAutoscalerStrategy: ResourceStrategy = {
  validate: decoding((obj) => validateHorizontalPodAutoscaler(obj)),
  validateUpdate: decoding((obj) => validateHorizontalPodAutoscaler(obj)),
  defaults: defaultHorizontalPodAutoscaler,
  table: horizontalPodAutoscalerTable,
};
