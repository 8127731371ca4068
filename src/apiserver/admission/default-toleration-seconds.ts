/**
 * DefaultTolerationSeconds: a new pod tolerates the node lifecycle controller's not-ready and unreachable
 * NoExecute taints for 300 s, unless it already says how it tolerates them, so a brief node hiccup does not
 * evict it at once.
 */
import { isFields, type Fields } from '../registry/defaults/fields.js';
import { isResource, type AdmissionAttributes, type AdmissionPlugin } from './admission.js';

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** kube-apiserver's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** Whether a toleration already covers `key`'s NoExecute taint (an empty key or effect matches all). */
function covers(toleration: Fields, key: string): boolean {
  const k = typeof toleration.key === 'string' ? toleration.key : '';
  const effect = typeof toleration.effect === 'string' ? toleration.effect : '';
  return (k === key || k === '') && (effect === 'NoExecute' || effect === '');
}

export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = 'DefaultTolerationSeconds';

  admit(attrs: AdmissionAttributes): void {
    if (attrs.operation !== 'CREATE' || !isResource(attrs, '', 'pods')) return;
    const spec = attrs.object?.spec;
    if (!isFields(spec)) return;
    const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as unknown[]).filter(isFields) : [];
    const added: Fields[] = [];
    for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
      if (tolerations.some((t) => covers(t, key))) continue;
      added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
    }
    if (added.length > 0) spec.tolerations = [...((spec.tolerations as unknown[] | undefined) ?? []), ...added];
  }
}
