/**
 * What an object counts against a ResourceQuota (kube's quota evaluators): every object counts one
 * `count/<resource>[.<group>]`; pods add `pods` and their compute requests and limits (terminal pods count
 * nothing); services, configmaps, secrets, replicationcontrollers and resourcequotas their bare names;
 * claims `persistentvolumeclaims` and `requests.storage` (also per storage class).
 */
import type { GroupResource } from '../../apimachinery/status.js';
import type { CachedObject } from '../../storage/cacher/cacher.js';
import { isFields, items, type Fields } from '../registry/defaults/fields.js';
import type { StoredObject } from '../registry/strategy.js';
import { podFacts, type PodFacts } from './resource-quota-scopes.js';
import { add, addInto, max, parseResourceList, units, ZERO, type Quantity } from './quantity-usage.js';

export type Usage = Map<string, Quantity>;

const ONE: Quantity = units(1);
/** Core resources whose quota name is their plural, beside the count/ form. */
const BARE_COUNTED = new Set(['pods', 'services', 'configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas', 'persistentvolumeclaims']);
/** Compute resources quota may name without the `requests.` prefix. */
const BARE_COMPUTE = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** `count/pods`, `count/deployments.apps`. */
export function countName(gr: GroupResource): string {
  return gr.group ? `count/${gr.resource}.${gr.group}` : `count/${gr.resource}`;
}

/** QuotaV1Pod: a pod that has finished, or whose grace period is over, no longer counts. */
function podCounts(pod: StoredObject): boolean {
  const phase = (pod.status as Fields | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const { deletionTimestamp, deletionGracePeriodSeconds } = pod.metadata;
  if (deletionTimestamp && deletionGracePeriodSeconds !== undefined) {
    if (Date.parse(deletionTimestamp) + deletionGracePeriodSeconds * 1000 < Date.now()) return false;
  }
  return true;
}

/** A pod's requests or limits: the sum over containers, raised to any init container's (PodRequests). */
function podResources(spec: Fields, field: 'requests' | 'limits'): Usage {
  const total: Usage = new Map();
  for (const c of items(spec, 'containers')) addInto(total, parseResourceList((c.resources as Fields | undefined)?.[field]));
  for (const c of items(spec, 'initContainers')) {
    for (const [k, v] of parseResourceList((c.resources as Fields | undefined)?.[field])) total.set(k, max(total.get(k) ?? ZERO, v));
  }
  const overhead = parseResourceList(spec.overhead);
  for (const [k, v] of overhead) total.set(k, add(total.get(k) ?? ZERO, v));
  return total;
}

/** Everything `obj` of `gr` counts against a quota. */
export function usageOf(gr: GroupResource, obj: StoredObject): Usage {
  const usage: Usage = new Map();
  if (gr.group === '' && gr.resource === 'pods' && !podCounts(obj)) return usage;
  usage.set(countName(gr), ONE);
  if (gr.group !== '') return usage;
  if (BARE_COUNTED.has(gr.resource)) usage.set(gr.resource, ONE);
  const spec = isFields(obj.spec) ? obj.spec : {};
  if (gr.resource === 'pods') {
    for (const [k, v] of podResources(spec, 'requests')) {
      usage.set(`requests.${k}`, v);
      if (BARE_COMPUTE.has(k)) usage.set(k, v);
    }
    for (const [k, v] of podResources(spec, 'limits')) usage.set(`limits.${k}`, v);
  } else if (gr.resource === 'services') {
    const ports = items(spec, 'ports').length;
    if (spec.type === 'LoadBalancer') usage.set('services.loadbalancers', ONE);
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') usage.set('services.nodeports', units(ports));
  } else if (gr.resource === 'persistentvolumeclaims') {
    const storage = parseResourceList((spec.resources as Fields | undefined)?.requests).get('storage');
    const className = typeof spec.storageClassName === 'string' ? spec.storageClassName : '';
    if (storage) usage.set('requests.storage', storage);
    if (className) {
      usage.set(`${className}.storageclass.storage.k8s.io/persistentvolumeclaims`, ONE);
      if (storage) usage.set(`${className}.storageclass.storage.k8s.io/requests.storage`, storage);
    }
  }
  return usage;
}

/**
 * The compute resources a quota names that a pod's containers leave unset (kube refuses such pods: a
 * quota on requests.cpu needs every container to request cpu). Sorted quota names.
 */
export function missingComputeResources(pod: StoredObject, hard: ReadonlySet<string>): string[] {
  const spec = isFields(pod.spec) ? pod.spec : {};
  const containers = [...items(spec, 'containers'), ...items(spec, 'initContainers')];
  const missing = new Set<string>();
  for (const name of hard) {
    let field: 'requests' | 'limits';
    let resource: string;
    if (BARE_COMPUTE.has(name) && name !== 'ephemeral-storage') [field, resource] = ['requests', name];
    else if (/^(requests|limits)\.(cpu|memory)$/.test(name)) [field, resource] = name.split('.') as ['requests' | 'limits', string];
    else continue;
    for (const c of containers) {
      const list = (c.resources as Fields | undefined)?.[field];
      if (!isFields(list) || list[resource] === undefined) missing.add(name);
    }
  }
  return [...missing].sort();
}

/** Which resources a quota's hard names need counted (pods for `requests.cpu`, any resource for `count/x.y`). */
export function resourcesFor(hard: Iterable<string>): GroupResource[] {
  const out = new Map<string, GroupResource>();
  const addGR = (group: string, resource: string): void => void out.set(`${group}/${resource}`, { group, resource });
  for (const name of hard) {
    const count = /^count\/([^.]+)(?:\.(.+))?$/.exec(name);
    if (count) addGR(count[2] ?? '', count[1]!);
    else if (BARE_COUNTED.has(name)) addGR('', name);
    else if (BARE_COMPUTE.has(name) || name.startsWith('requests.') || name.startsWith('limits.')) {
      addGR('', 'pods');
      if (name === 'requests.storage') addGR('', 'persistentvolumeclaims');
    } else if (name.startsWith('services.')) addGR('', 'services');
    else if (name.includes('.storageclass.storage.k8s.io/')) addGR('', 'persistentvolumeclaims');
  }
  return [...out.values()];
}

/** What an object counts, and for pods what quota scopes look at. */
export interface Counted {
  usage: Usage;
  pod?: PodFacts;
}

export function countedOf(gr: GroupResource, obj: StoredObject): Counted {
  const usage = usageOf(gr, obj);
  return gr.group === '' && gr.resource === 'pods' ? { usage, pod: podFacts(obj) } : { usage };
}

/** Usage per object, remembered per revision so a recount parses only what changed. */
export class UsageMemo {
  private readonly memo = new Map<string, { revision: number; counted: Counted }>();

  counted(gr: GroupResource, o: CachedObject): Counted {
    const hit = this.memo.get(o.key);
    if (hit && hit.revision === o.revision) return hit.counted;
    const counted = countedOf(gr, JSON.parse(o.json) as StoredObject);
    this.memo.set(o.key, { revision: o.revision, counted });
    return counted;
  }

  /** Forgets one object (it was deleted). */
  forget(key: string): void {
    this.memo.delete(key);
  }

  get size(): number {
    return this.memo.size;
  }
}
