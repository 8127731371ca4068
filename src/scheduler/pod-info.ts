/**
 * PodInfo: a pod with everything the plugins ask of it again and again computed once (requests, parsed
 * (anti-)affinity terms, host ports), as kube's framework.PodInfo. Built once per pod object and memoized, so an
 * existing pod on a node costs nothing per cycle.
 */
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { podRequests, type Resource } from './resources.js';
import { compileLabelSelector, type LabelMatcher, type Labels } from './selectors.js';

/** Returns a namespace's labels, for affinity terms with a namespaceSelector; undefined when unknown. */
export type NamespaceLabels = (namespace: string) => Labels;

/** One pod (anti-)affinity term, compiled (kube's framework.AffinityTerm). */
export class AffinityTerm {
  readonly namespaces: ReadonlySet<string>;
  readonly selector: LabelMatcher;
  readonly namespaceSelector: LabelMatcher | undefined;
  readonly topologyKey: string;
  /** Identifies what the term selects (namespaces and selector), for memoized per-node counts. */
  readonly key: string;

  constructor(ownerNamespace: string, term: PodAffinityTerm) {
    this.topologyKey = term.topologyKey;
    this.selector = compileLabelSelector(term.labelSelector);
    this.namespaceSelector = term.namespaceSelector ? compileLabelSelector(term.namespaceSelector) : undefined;
    // No namespaces and no namespaceSelector means "the pod's own namespace".
    const ns = term.namespaces ?? [];
    this.namespaces = new Set(ns.length === 0 && !term.namespaceSelector ? [ownerNamespace] : ns);
    this.key = JSON.stringify([[...this.namespaces].sort(), term.labelSelector ?? null, term.namespaceSelector ?? null]);
  }

  /** Whether the term selects a pod: by namespace (list or selector), then by labels. */
  matches(pod: PodInfo, nsLabels?: NamespaceLabels): boolean {
    if (!this.namespaces.has(pod.namespace)) {
      if (!this.namespaceSelector || !this.namespaceSelector(nsLabels?.(pod.namespace) ?? {})) return false;
    }
    return this.selector(pod.labels);
  }
}

/** A preferred term with its weight. */
export interface WeightedAffinityTerm {
  term: AffinityTerm;
  weight: number;
}

/** A host port a container asks for. */
export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

const EMPTY: never[] = [];

/** A pod and what the scheduler derives from it. */
export class PodInfo {
  readonly pod: Pod;
  /** The cache key: the UID, or namespace/name for pods that have none (tests). */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Labels;
  readonly priority: number;
  /** Requests as the Fit filter counts them. */
  readonly requests: Resource;
  /** Requests with 100m/200Mi for unstated CPU/memory, as the scorers count them. */
  readonly nonZeroRequests: Resource;
  readonly requiredAffinityTerms: AffinityTerm[];
  readonly requiredAntiAffinityTerms: AffinityTerm[];
  readonly preferredAffinityTerms: WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: WeightedAffinityTerm[];
  readonly hostPorts: HostPort[];

  constructor(pod: Pod) {
    this.pod = pod;
    const meta = pod.metadata ?? {};
    this.name = meta.name ?? '';
    this.namespace = meta.namespace ?? 'default';
    this.key = meta.uid ?? `${this.namespace}/${this.name}`;
    this.labels = meta.labels;
    this.priority = pod.spec?.priority ?? 0;
    this.requests = podRequests(pod);
    this.nonZeroRequests = podRequests(pod, true);
    const aff = pod.spec?.affinity;
    const req = (terms: PodAffinityTerm[] | undefined): AffinityTerm[] =>
      terms && terms.length > 0 ? terms.map((t) => new AffinityTerm(this.namespace, t)) : EMPTY;
    const pref = (terms: WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] =>
      terms && terms.length > 0 ? terms.map((t) => ({ term: new AffinityTerm(this.namespace, t.podAffinityTerm), weight: t.weight })) : EMPTY;
    this.requiredAffinityTerms = req(aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.requiredAntiAffinityTerms = req(aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    this.preferredAffinityTerms = pref(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    this.preferredAntiAffinityTerms = pref(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    const ports: HostPort[] = [];
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort || p.hostPort <= 0) continue;
        ports.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
      }
    }
    this.hostPorts = ports.length > 0 ? ports : EMPTY;
  }

  /** True when the pod has any pod (anti-)affinity term (kube's PodsWithAffinity membership). */
  get hasAffinity(): boolean {
    return this.requiredAffinityTerms.length + this.requiredAntiAffinityTerms.length + this.preferredAffinityTerms.length + this.preferredAntiAffinityTerms.length > 0;
  }

  get hasRequiredAntiAffinity(): boolean {
    return this.requiredAntiAffinityTerms.length > 0;
  }

  private sig: string | undefined;
  /** Namespace and labels: everything other pods' terms can select this pod by (memo keys). */
  get selectionKey(): string {
    return (this.sig ??= JSON.stringify([this.namespace, this.labels ?? null]));
  }

  get nodeName(): string | undefined {
    return this.pod.spec?.nodeName || undefined;
  }
}

const memo = new WeakMap<Pod, PodInfo>();

/** The PodInfo of a pod object, built once per object (objects from informers are immutable). */
export function podInfoOf(pod: Pod): PodInfo {
  let pi = memo.get(pod);
  if (!pi) {
    pi = new PodInfo(pod);
    memo.set(pod, pi);
  }
  return pi;
}

/** namespace/name, as kube's klog.KObj. */
export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

/**
 * The PodInfo of a copy of the pod bound to nodeName (what the cache assumes at Reserve), sharing the derived
 * fields instead of computing them again.
 */
export function withNodeName(pi: PodInfo, nodeName: string): PodInfo {
  const pod: Pod = { ...pi.pod, spec: { ...pi.pod.spec!, nodeName } };
  const copy = Object.assign(Object.create(PodInfo.prototype) as PodInfo, pi, { pod });
  memo.set(pod, copy);
  return copy;
}
