/**
 * Matching helpers the plugins share, compiled once per pod so the per-node work is a few property reads:
 * metav1.LabelSelector, v1.NodeSelector (required node affinity), nodeSelector and taints/tolerations.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** Labels of an object; undefined means none. */
export type Labels = Record<string, string> | undefined;
/** A compiled selector: true when the labels are selected. */
export type LabelMatcher = (labels: Labels) => boolean;

const EVERYTHING: LabelMatcher = () => true;
const NOTHING: LabelMatcher = () => false;

/**
 * Compiles a metav1.LabelSelector as kube's LabelSelectorAsSelector: null selects nothing, `{}` everything.
 * Unknown operators select nothing (the apiserver has validated selectors before the scheduler sees them).
 */
export function compileLabelSelector(sel: LabelSelector | undefined | null): LabelMatcher {
  if (sel === undefined || sel === null) return NOTHING;
  const checks: LabelMatcher[] = [];
  const ml = sel.matchLabels ?? {};
  const keys = Object.keys(ml);
  if (keys.length === 1) {
    const k = keys[0]!;
    const v = ml[k]!;
    checks.push((l) => l !== undefined && l[k] === v);
  } else if (keys.length > 1) {
    checks.push((l) => {
      if (l === undefined) return false;
      for (const k of keys) if (l[k] !== ml[k]) return false;
      return true;
    });
  }
  for (const e of sel.matchExpressions ?? []) {
    const key = e.key;
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        checks.push((l) => l !== undefined && Object.hasOwn(l, key) && values.includes(l[key]!));
        break;
      case 'NotIn':
        checks.push((l) => l === undefined || !Object.hasOwn(l, key) || !values.includes(l[key]!));
        break;
      case 'Exists':
        checks.push((l) => l !== undefined && Object.hasOwn(l, key));
        break;
      case 'DoesNotExist':
        checks.push((l) => l === undefined || !Object.hasOwn(l, key));
        break;
      default:
        return NOTHING;
    }
  }
  if (checks.length === 0) return EVERYTHING;
  if (checks.length === 1) return checks[0]!;
  return (l) => {
    for (const c of checks) if (!c(l)) return false;
    return true;
  };
}

/** Compiles a labels map as an equality selector (a Service's selector, a pod's nodeSelector). */
export function compileSetSelector(set: Record<string, string> | undefined): LabelMatcher {
  if (!set || Object.keys(set).length === 0) return EVERYTHING;
  return compileLabelSelector({ matchLabels: set });
}

function nodeRequirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = has ? labels[r.key]! : undefined;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return v !== undefined && values.includes(v);
    case 'NotIn':
      return v === undefined || !values.includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (v === undefined || values.length !== 1) return false;
      const a = Number.parseInt(v, 10);
      const b = Number.parseInt(values[0]!, 10);
      if (!/^-?[0-9]+$/.test(v) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** Whether a node matches one NodeSelectorTerm: all expressions and fields; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const r of exprs) if (!nodeRequirementMatches(r, labels)) return false;
  for (const f of fields) {
    // metadata.name is the only field node affinity supports.
    if (f.key !== 'metadata.name') return false;
    if (!nodeRequirementMatches(f, { 'metadata.name': node.metadata?.name ?? '' })) return false;
  }
  return true;
}

/** Whether a node matches a NodeSelector: any of its terms (ORed). */
export function nodeSelectorMatches(sel: NodeSelector, node: Node): boolean {
  for (const t of sel.nodeSelectorTerms ?? []) if (nodeSelectorTermMatches(t, node)) return true;
  return false;
}

/** The pod's nodeSelector and required node affinity together, as kube's RequiredNodeAffinity. */
export class RequiredNodeAffinity {
  private readonly selector: Array<[string, string]>;
  private readonly required: NodeSelector | undefined;

  constructor(pod: Pod) {
    this.selector = Object.entries(pod.spec?.nodeSelector ?? {});
    this.required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  }

  /** True when the pod restricts nodes at all. */
  get restricts(): boolean {
    return this.selector.length > 0 || this.required !== undefined;
  }

  match(node: Node): boolean {
    if (this.selector.length > 0) {
      const labels = node.metadata?.labels;
      if (!labels) return false;
      for (const [k, v] of this.selector) if (labels[k] !== v) return false;
    }
    return this.required === undefined || nodeSelectorMatches(this.required, node);
  }
}

/** Whether a toleration tolerates a taint, as kube's Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** The first taint (with an effect that `include` accepts) that none of the tolerations tolerate. */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, include: (t: Taint) => boolean): Taint | undefined {
  if (!taints) return undefined;
  for (const taint of taints) {
    if (!include(taint)) continue;
    let ok = false;
    if (tolerations) for (const t of tolerations) if (toleratesTaint(t, taint)) { ok = true; break; }
    if (!ok) return taint;
  }
  return undefined;
}
