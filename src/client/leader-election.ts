/**
 * Leader election on a coordination.k8s.io/v1 Lease (client-go's leaderelection with a LeaseLock): among
 * candidates with the same lease, one holds it and renews it every retry period; the others take it over once
 * it has not changed for a lease duration, as measured on their own clock (no clock-skew assumptions). A
 * leader that cannot renew within the renew deadline stops leading.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Logger } from 'pino';
import { componentLogger } from '../util/log.js';
import type { Client } from './client.js';
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { LEASES } from './resources.js';
import type { KubeObject } from './types.js';
import { microTime } from '../apimachinery/time.js';


type LeaseObject = Lease & KubeObject;

export interface LeaderElectionConfig {
  /** Where the lease lives (kube-controller-manager uses kube-system/kube-controller-manager). */
  namespace: string;
  name: string;
  /** This candidate's identity (unique per process). */
  identity: string;
  /** How long a lease is honoured without a renewal (default 15 s). */
  leaseDurationMs?: number;
  /** How long a leader keeps trying to renew before it gives up leading (default 10 s). */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Give the lease up on stop, so another candidate need not wait it out (default true). */
  releaseOnCancel?: boolean;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
  logger?: Logger;
}


export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: Logger;
  /** The lease spec as last seen, and when (our clock) it was seen to change. */
  private observed: { spec: string; at: number } | undefined;
  private observedLease: LeaseObject | undefined;
  private leading = false;
  private stopped = false;
  private reportedLeader = '';
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: Client,
    private readonly config: LeaderElectionConfig,
  ) {
    this.leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = config.retryPeriodMs ?? 2_000;
    this.log = (config.logger ?? componentLogger('leader-election')).child({ lease: `${config.namespace}/${config.name}`, identity: config.identity });
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns until it leads, then renews until it loses the lease or is stopped. */
  run(): void {
    this.loop ??= this.campaign();
  }

  /** Stops campaigning or leading (releasing the lease if configured). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async campaign(): Promise<void> {
    while (!this.stopped && !(await this.tryAcquireOrRenew())) await this.sleep(this.retryPeriodMs * (1 + Math.random() * 0.2));
    if (this.stopped) return;
    this.leading = true;
    this.log.info('became leader');
    this.config.onStartedLeading();
    let lastRenew = Date.now();
    while (!this.stopped) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew()) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > this.renewDeadlineMs) {
        this.log.warn('failed to renew the lease within the renew deadline; stopped leading');
        break;
      }
    }
    this.leading = false;
    if (this.stopped && (this.config.releaseOnCancel ?? true)) await this.release();
    this.config.onStoppedLeading();
  }

  /** One attempt; true when this candidate holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const leases = this.client.resource<LeaseObject>(LEASES).namespace(this.config.namespace);
    const now = Date.now();
    const spec = (old?: Lease['spec']) => ({
      holderIdentity: this.config.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.leaseDurationMs / 1000)),
      acquireTime: old?.holderIdentity === this.config.identity && old.acquireTime ? old.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: old ? (old.holderIdentity === this.config.identity ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? 0) + 1) : 0,
    });
    let lease: LeaseObject;
    try {
      lease = await leases.get(this.config.name);
    } catch (err) {
      if (!isNotFound(err)) return this.failed(err);
      try {
        this.observedLease = await leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.config.name, namespace: this.config.namespace }, spec: spec() });
        this.observe(this.observedLease, now);
        return true;
      } catch (createErr) {
        return isAlreadyExists(createErr) ? false : this.failed(createErr);
      }
    }
    this.observe(lease, now);
    const holder = lease.spec?.holderIdentity ?? '';
    const expired = this.observed!.at + this.leaseDurationMs <= now;
    if (holder && holder !== this.config.identity && !expired) return false;
    try {
      this.observedLease = await leases.update({ ...lease, spec: spec(lease.spec) });
      this.observe(this.observedLease, now);
      return true;
    } catch (err) {
      return isConflict(err) ? false : this.failed(err);
    }
  }

  private observe(lease: LeaseObject, now: number): void {
    const spec = JSON.stringify(lease.spec ?? {});
    if (this.observed?.spec !== spec) this.observed = { spec, at: now };
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.config.onNewLeader?.(holder);
    }
  }

  private failed(err: unknown): false {
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'lease request failed');
    return false;
  }

  /** Gives the lease up: no holder, a one-second duration. */
  private async release(): Promise<void> {
    const lease = this.observedLease;
    if (!lease || lease.spec?.holderIdentity !== this.config.identity) return;
    try {
      await this.client.resource<LeaseObject>(LEASES).namespace(this.config.namespace).update({
        ...lease,
        spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: microTime(Date.now()) },
      });
    } catch (err) {
      this.failed(err);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
