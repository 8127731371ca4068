/**
 * Fast resource arithmetic for the scheduler: CPU as milli-CPU and everything else as plain numbers (bytes,
 * counts), parsed once per distinct quantity string. The scheduler compares requests against allocatable on
 * every node of every cycle, so it works on numbers, not on arbitrary-precision quantities. Values are rounded
 * up, as kube's Quantity.MilliValue()/Value() do.
 */
import type { Container, Pod } from 'kubernetes-types/core/v1.js';

/** kube's DefaultMilliCPURequest: what a container without a CPU request counts as when scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** kube's DefaultMemoryRequest (200 MB): what a container without a memory request counts as when scoring. */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?[0-9]+))?$/;

const parsed = new Map<string, number>();

/** The value of a quantity string in its base unit (cores, bytes, ...) as a float; throws on malformed input. */
export function quantityValue(q: string | number): number {
  if (typeof q === 'number') return q;
  let v = parsed.get(q);
  if (v !== undefined) return v;
  const m = QUANTITY.exec(q.trim());
  if (!m) throw new Error(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  const num = Number(m[1]);
  if (m[3] !== undefined) v = num * 10 ** Number(m[3]);
  else v = num * (BINARY[m[2] ?? ''] ?? DECIMAL[m[2] ?? '']!);
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(q, v);
  return v;
}

/** A quantity in thousandths, rounded up (kube's MilliValue): CPU requests become milli-CPU. */
export function milliValue(q: string | number): number {
  return Math.ceil(Math.round(quantityValue(q) * 1e9) / 1e6);
}

/** A quantity rounded up to an integer (kube's Value): memory becomes bytes. */
export function intValue(q: string | number): number {
  return Math.ceil(Math.round(quantityValue(q) * 1e6) / 1e6);
}

/** The resources the scheduler accounts for, as kube's framework.Resource. */
export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  /** Extended and hugepages resources by name; undefined until one is seen, to keep the common case cheap. */
  scalar: Map<string, number> | undefined;

  /** A resource from a requests/allocatable map. */
  static from(list: Record<string, string | number> | undefined): Resource {
    const r = new Resource();
    if (list) r.addList(list);
    return r;
  }

  addList(list: Record<string, string | number>): void {
    for (const name in list) this.addNamed(name, list[name]!);
  }

  private addNamed(name: string, q: string | number): void {
    switch (name) {
      case 'cpu':
        this.milliCPU += milliValue(q);
        break;
      case 'memory':
        this.memory += intValue(q);
        break;
      case 'ephemeral-storage':
        this.ephemeralStorage += intValue(q);
        break;
      case 'pods':
        this.allowedPodNumber += intValue(q);
        break;
      default:
        if (isScalarResourceName(name)) this.setScalar(name, this.getScalar(name) + intValue(q));
    }
  }

  getScalar(name: string): number {
    return this.scalar?.get(name) ?? 0;
  }

  setScalar(name: string, v: number): void {
    (this.scalar ??= new Map()).set(name, v);
  }

  /** this += o (or -= with sign -1). */
  add(o: Resource, sign = 1): void {
    this.milliCPU += sign * o.milliCPU;
    this.memory += sign * o.memory;
    this.ephemeralStorage += sign * o.ephemeralStorage;
    this.allowedPodNumber += sign * o.allowedPodNumber;
    if (o.scalar) for (const [k, v] of o.scalar) this.setScalar(k, this.getScalar(k) + sign * v);
  }

  /** this = max(this, o) per resource: how init containers combine. */
  setMax(o: Resource): void {
    this.milliCPU = Math.max(this.milliCPU, o.milliCPU);
    this.memory = Math.max(this.memory, o.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, o.ephemeralStorage);
    if (o.scalar) for (const [k, v] of o.scalar) this.setScalar(k, Math.max(this.getScalar(k), v));
  }

  clone(): Resource {
    const r = new Resource();
    r.add(this);
    return r;
  }

  /** The value of one named resource. */
  get(name: string): number {
    switch (name) {
      case 'cpu':
        return this.milliCPU;
      case 'memory':
        return this.memory;
      case 'ephemeral-storage':
        return this.ephemeralStorage;
      case 'pods':
        return this.allowedPodNumber;
      default:
        return this.getScalar(name);
    }
  }

  isZero(): boolean {
    if (this.milliCPU !== 0 || this.memory !== 0 || this.ephemeralStorage !== 0) return false;
    if (this.scalar) for (const v of this.scalar.values()) if (v !== 0) return false;
    return true;
  }
}

/** Extended resources (`example.com/foo`), hugepages and attachable volumes, as kube's IsScalarResourceName. */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  // Extended resources are domain-prefixed names outside kubernetes.io (requests.* is a quota name, not one).
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  const domain = name.slice(0, slash);
  return !(domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io')) && !name.startsWith('requests.');
}

function containerRequests(c: Container, nonZero: boolean): Resource {
  const r = Resource.from(c.resources?.requests);
  if (nonZero) {
    // A container that states no request counts as the defaults when spreading load (kube's GetNonzeroRequests).
    if (!c.resources?.requests || !('cpu' in c.resources.requests)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!c.resources?.requests || !('memory' in c.resources.requests)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * What a pod asks of a node, as kube's resource.PodRequests: the sum of its containers and sidecars (init
 * containers with restartPolicy Always, which keep running), or the largest init container (plus the sidecars
 * started before it) if that is more, plus the pod overhead. With nonZero, containers without a CPU or memory
 * request count as 100m / 200Mi, as the scoring plugins want.
 */
export function podRequests(pod: Pod, nonZero = false): Resource {
  const spec = pod.spec;
  const reqs = new Resource();
  if (!spec) return reqs;
  for (const c of spec.containers ?? []) reqs.add(containerRequests(c, nonZero));
  if (spec.initContainers && spec.initContainers.length > 0) {
    const sidecars = new Resource();
    const initMax = new Resource();
    for (const c of spec.initContainers) {
      const r = containerRequests(c, nonZero);
      if (c.restartPolicy === 'Always') {
        reqs.add(r);
        sidecars.add(r);
        initMax.setMax(sidecars);
      } else {
        r.add(sidecars);
        initMax.setMax(r);
      }
    }
    reqs.setMax(initMax);
  }
  if (spec.overhead) reqs.addList(spec.overhead);
  return reqs;
}
