/**
 * Service cluster IPs and node ports, as kube-apiserver's ipallocator and portallocator hand them out: each value
 * in use is a reservation key in storage (`/registry/ranges/serviceips/10.96.0.10`,
 * `/registry/ranges/servicenodeports/30080`), taken with the store's atomic create, so two creates never get the
 * same value, however they race. The watch cache ignores these keys (they are under no resource's prefix).
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { goStringSlice } from '../../../apimachinery/names.js';
import { internalError, invalid } from '../../../apimachinery/status.js';
import { isAlreadyExists, isNotFound } from '../../../storage/errors.js';
import type { Store } from '../../../storage/interface.js';
import type { Reservation, StoredObject } from '../strategy.js';

export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';
export const DEFAULT_SERVICE_NODE_PORT_RANGE = '30000-32767';

const IPS_PREFIX = '/registry/ranges/serviceips/';
const NODE_PORTS_PREFIX = '/registry/ranges/servicenodeports/';

/** Why a value could not be allocated, in kube's words. */
export class AllocationError extends Error {
  constructor(
    readonly reason: 'NotInRange' | 'Allocated' | 'Full',
    message: string,
  ) {
    super(message);
  }
}

/** Parses a dotted IPv4 address to its 32-bit value; undefined when it is not one. */
export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** An IPv4 CIDR (`10.96.0.0/12`): its network address and size. Throws on anything else. */
export function parseCIDR(cidr: string): { base: number; size: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr.trim());
  const ip = m ? parseIPv4(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(bits >= 0 && bits <= 30)) throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)} (want e.g. 10.96.0.0/12, prefix length at most 30)`);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

/** A port range (`30000-32767`). Throws on anything else. */
export function parsePortRange(range: string): { first: number; last: number } {
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!(first >= 1 && last <= 65535 && first <= last)) throw new Error(`invalid port range ${JSON.stringify(range)} (want e.g. 30000-32767)`);
  return { first, last };
}

/**
 * One range of values (integers first..first+count-1) backed by reservation keys. An in-memory set of values
 * known to be taken, loaded from storage on first use, steers random picks away from used values; storage's
 * atomic create is what decides.
 */
export class RangeAllocator {
  private readonly used = new Set<number>();
  /** Values whose reservation is being written. */
  private readonly inFlight = new Set<number>();
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    readonly first: number,
    readonly count: number,
    private readonly format: (value: number) => string,
    private readonly parse: (text: string) => number | undefined,
  ) {}

  has(value: number): boolean {
    return value >= this.first && value < this.first + this.count;
  }

  /** Reserves exactly `value`. */
  async allocate(value: number, owner: string): Promise<void> {
    await this.load();
    if (!this.has(value)) throw new AllocationError('NotInRange', '');
    try {
      await this.store.create(this.key(value), Buffer.from(owner));
      this.used.add(value);
    } catch (err) {
      if (isAlreadyExists(err)) {
        this.used.add(value);
        throw new AllocationError('Allocated', '');
      }
      throw err;
    }
  }

  /** Reserves some free value, picked at random. */
  async allocateNext(owner: string): Promise<number> {
    await this.load();
    for (let round = 0; round < 2; round++) {
      for (;;) {
        const candidate = this.pickFree();
        if (candidate === undefined) break;
        // Marked before the write so that concurrent picks here go elsewhere.
        this.used.add(candidate);
        this.inFlight.add(candidate);
        try {
          await this.store.create(this.key(candidate), Buffer.from(owner));
          return candidate;
        } catch (err) {
          if (isAlreadyExists(err)) continue; // someone else (another apiserver) holds it: it stays marked
          this.used.delete(candidate);
          throw err;
        } finally {
          this.inFlight.delete(candidate);
        }
      }
      // Full as far as this process knows: values released elsewhere may have come free, so look once more.
      await this.reload();
    }
    throw new AllocationError('Full', 'range is full');
  }

  /** Gives `value` back; releasing a value nobody holds is not an error. */
  async release(value: number): Promise<void> {
    if (!this.has(value)) return;
    try {
      await this.store.delete(this.key(value));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.used.delete(value);
  }

  /** Whether `value` is reserved in storage (for tests and repair). */
  async isAllocated(value: number): Promise<boolean> {
    try {
      await this.store.get(this.key(value));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private key(value: number): string {
    return `${this.prefix}${this.format(value)}`;
  }

  private pickFree(): number | undefined {
    if (this.used.size >= this.count) return undefined;
    const start = Math.floor(Math.random() * this.count);
    for (let i = 0; i < this.count; i++) {
      const value = this.first + ((start + i) % this.count);
      if (!this.used.has(value)) return value;
    }
    return undefined;
  }

  private load(): Promise<void> {
    this.loaded ??= this.reload().catch((err: unknown) => {
      this.loaded = undefined;
      throw err;
    });
    return this.loaded;
  }

  private async reload(): Promise<void> {
    const found = new Set<number>();
    let token: string | undefined;
    do {
      const page = await this.store.list(this.prefix, token ? { continue: token, limit: 1000 } : { limit: 1000 });
      for (const kv of page.items) {
        const value = this.parse(kv.key.slice(this.prefix.length));
        if (value !== undefined && this.has(value)) found.add(value);
      }
      token = page.continue;
    } while (token);
    // What storage holds, plus what is being reserved right now.
    this.used.clear();
    for (const v of found) this.used.add(v);
    for (const v of this.inFlight) this.used.add(v);
  }
}

export interface ServiceAllocatorOptions {
  /** `--service-cluster-ip-range` (default 10.96.0.0/12). */
  serviceClusterIPRange?: string;
  /** `--service-node-port-range` (default 30000-32767). */
  serviceNodePortRange?: string;
}

type Spec = NonNullable<Service['spec']>;
type MutableSpec = { -readonly [K in keyof Spec]: Spec[K] };
type MutablePort = { -readonly [K in keyof ServicePort]: ServicePort[K] };

function specOf(obj: StoredObject): MutableSpec | undefined {
  const spec = obj.spec;
  return spec && typeof spec === 'object' ? (spec as MutableSpec) : undefined;
}

function portsOf(spec: MutableSpec): MutablePort[] {
  return Array.isArray(spec.ports) ? (spec.ports as MutablePort[]) : [];
}

/** Whether a service of this spec has a cluster IP (every type but ExternalName; `None` is headless). */
function needsClusterIP(spec: MutableSpec): boolean {
  return spec.type !== 'ExternalName';
}

/** Whether a service of this spec gets node ports (NodePort, and LoadBalancer unless it opts out). */
export function needsNodePorts(spec: MutableSpec | undefined): boolean {
  if (!spec) return false;
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/** The cluster IP a spec asks for: clusterIP, else clusterIPs[0]; '' when none. */
function requestedIP(spec: MutableSpec): string {
  return spec.clusterIP || (Array.isArray(spec.clusterIPs) ? (spec.clusterIPs[0] ?? '') : '');
}

function owner(obj: StoredObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** Cluster IPs and node ports for Services, over the store. */
export class ServiceAllocator {
  readonly ips: RangeAllocator;
  readonly nodePorts: RangeAllocator;
  readonly clusterIPRange: string;
  readonly nodePortRange: string;

  constructor(store: Store, opts: ServiceAllocatorOptions = {}) {
    this.clusterIPRange = opts.serviceClusterIPRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE;
    this.nodePortRange = opts.serviceNodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE;
    const cidr = parseCIDR(this.clusterIPRange);
    const ports = parsePortRange(this.nodePortRange);
    // The network and broadcast addresses are never handed out, as in kube.
    this.ips = new RangeAllocator(store, IPS_PREFIX, cidr.base + 1, cidr.size - 2, formatIPv4, parseIPv4);
    this.nodePorts = new RangeAllocator(store, NODE_PORTS_PREFIX, ports.first, ports.last - ports.first + 1, String, (t) =>
      /^\d+$/.test(t) ? Number(t) : undefined,
    );
  }

  /** The first usable IP of the range: the `kubernetes` Service's (10.96.0.1). */
  get firstIP(): string {
    return formatIPv4(this.ips.first);
  }

  /** Reserves a cluster IP (`ip`, or any free one when empty); kube's errors as StatusErrors. */
  async allocateIP(ip: string, who: string, requested: readonly string[] = [ip], name = ''): Promise<string> {
    try {
      if (!ip) return formatIPv4(await this.ips.allocateNext(who));
      const value = parseIPv4(ip);
      if (value === undefined) throw invalidService(name, 'spec.clusterIPs[0]', `Invalid value: ${JSON.stringify(ip)}: must be a valid IP address`);
      await this.ips.allocate(value, who);
      return ip;
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      if (err.reason === 'Full') throw internalError(`failed to allocate a serviceIP: ${err.message}`);
      const why =
        err.reason === 'Allocated'
          ? 'provided IP is already allocated'
          : `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.clusterIPRange}`;
      throw invalidService(name, 'spec.clusterIPs', `Invalid value: ${goStringSlice(requested)}: failed to allocate IP ${ip}: ${why}`);
    }
  }

  /** Reserves a node port (`port`, or any free one when 0); `index` names the field in errors. */
  async allocateNodePort(port: number, who: string, index = 0, name = ''): Promise<number> {
    try {
      if (!port) return await this.nodePorts.allocateNext(who);
      await this.nodePorts.allocate(port, who);
      return port;
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      if (err.reason === 'Full') throw internalError(`failed to allocate a nodePort: ${err.message}`);
      const why =
        err.reason === 'Allocated' ? 'provided port is already allocated' : `provided port is not in the valid range. The range of valid ports is ${this.nodePortRange}`;
      throw invalidService(name, `spec.ports[${index}].nodePort`, `Invalid value: ${port}: ${why}`);
    }
  }

  async releaseIP(ip: string | undefined): Promise<void> {
    const value = ip ? parseIPv4(ip) : undefined;
    if (value !== undefined) await this.ips.release(value);
  }

  async releaseNodePort(port: number | undefined): Promise<void> {
    if (port) await this.nodePorts.release(port);
  }

  /** What a new Service takes: its cluster IP (unless headless or ExternalName) and its node ports. */
  async reserveForCreate(obj: StoredObject): Promise<Reservation> {
    const tx = new Transaction(this);
    const spec = specOf(obj);
    if (!spec) return tx;
    try {
      if (needsClusterIP(spec)) {
        const asked = requestedIP(spec);
        if (asked === 'None') {
          spec.clusterIP = 'None';
          spec.clusterIPs = ['None'];
        } else {
          const requested = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs : [asked];
          const ip = await this.allocateIP(asked, owner(obj), requested, obj.metadata.name);
          tx.ips.push(ip);
          spec.clusterIP = ip;
          spec.clusterIPs = [ip];
        }
      }
      if (needsNodePorts(spec)) await this.reservePorts(obj, spec, new Set(), tx);
    } catch (err) {
      await tx.revert();
      throw err;
    }
    return tx;
  }

  /**
   * What an updated Service takes and gives back: a cluster IP when it stops being ExternalName (the old one is
   * released when it becomes one), node ports for ports that gained a need for one (those no longer used are
   * released once the update is stored).
   */
  async reserveForUpdate(obj: StoredObject, old: StoredObject): Promise<Reservation> {
    const tx = new Transaction(this);
    const spec = specOf(obj);
    const oldSpec = specOf(old);
    if (!spec) return tx;
    try {
      const oldIP = oldSpec && needsClusterIP(oldSpec) ? (oldSpec.clusterIP ?? '') : '';
      if (needsClusterIP(spec)) {
        const asked = requestedIP(spec);
        if (asked === 'None') {
          spec.clusterIP = 'None';
          spec.clusterIPs = ['None'];
        } else if (!oldIP || asked !== oldIP) {
          // Only reachable when there was none before (validation keeps a set cluster IP from changing).
          const ip = await this.allocateIP(asked, owner(obj), asked ? [asked] : [], obj.metadata.name);
          tx.ips.push(ip);
          spec.clusterIP = ip;
          spec.clusterIPs = [ip];
        }
      }
      const keep = needsClusterIP(spec) ? (spec.clusterIP ?? '') : '';
      if (oldIP && oldIP !== 'None' && oldIP !== keep) tx.releaseIPs.push(oldIP);

      const oldPorts = new Set(oldSpec ? portsOf(oldSpec).map((p) => p.nodePort ?? 0).filter(Boolean) : []);
      if (needsNodePorts(spec)) await this.reservePorts(obj, spec, oldPorts, tx);
      const kept = new Set(portsOf(spec).map((p) => p.nodePort ?? 0));
      for (const p of oldPorts) if (!kept.has(p)) tx.releasePorts.push(p);
    } catch (err) {
      await tx.revert();
      throw err;
    }
    return tx;
  }

  /** Gives back everything a deleted Service held. */
  async release(obj: StoredObject): Promise<void> {
    const spec = specOf(obj);
    if (!spec) return;
    if (needsClusterIP(spec) && spec.clusterIP !== 'None') await this.releaseIP(spec.clusterIP);
    for (const p of new Set(portsOf(spec).map((p) => p.nodePort ?? 0))) await this.releaseNodePort(p);
  }

  /** Gives every port lacking a node port one, and reserves the requested ones `held` does not already hold. */
  private async reservePorts(obj: StoredObject, spec: MutableSpec, held: Set<number>, tx: Transaction): Promise<void> {
    const taken = new Set(held);
    const ports = portsOf(spec);
    // Explicit ones first, so that a random pick never takes a port asked for further down the list.
    for (const [i, p] of ports.entries()) {
      if (!p.nodePort || taken.has(p.nodePort)) continue;
      await this.allocateNodePort(p.nodePort, owner(obj), i, obj.metadata.name);
      tx.ports.push(p.nodePort);
      taken.add(p.nodePort);
    }
    for (const p of ports) {
      if (p.nodePort) continue;
      p.nodePort = await this.allocateNodePort(0, owner(obj), 0, obj.metadata.name);
      tx.ports.push(p.nodePort);
    }
  }
}

/** The values one write reserved (given back on revert) and the old ones it frees (given back on commit). */
class Transaction implements Reservation {
  readonly ips: string[] = [];
  readonly ports: number[] = [];
  readonly releaseIPs: string[] = [];
  readonly releasePorts: number[] = [];

  constructor(private readonly allocator: ServiceAllocator) {}

  async revert(): Promise<void> {
    await Promise.all([...this.ips.map((ip) => this.allocator.releaseIP(ip)), ...this.ports.map((p) => this.allocator.releaseNodePort(p))]);
    this.ips.length = 0;
    this.ports.length = 0;
  }

  async commit(): Promise<void> {
    await Promise.all([
      ...this.releaseIPs.map((ip) => this.allocator.releaseIP(ip)),
      ...this.releasePorts.map((p) => this.allocator.releaseNodePort(p)),
    ]);
  }
}

function invalidService(name: string, field: string, message: string): Error {
  return invalid('Service', '', name, [{ reason: 'FieldValueInvalid', field, message }]);
}
