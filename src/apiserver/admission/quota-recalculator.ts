/**
 * Keeps every ResourceQuota's status (hard and used) current, in process: a namespace's quotas are recounted
 * from the watch cache (plus admission's in-flight charges) shortly after anything in it changes — creates,
 * updates, deletes — and whenever a quota is created or edited. It stands in for kube-controller-manager's
 * resource quota controller and can be replaced by it: admission does not depend on the status it writes.
 */
import type { Logger } from 'pino';
import type { ObjectReader } from './admission.js';
import { currentUsage, hardOf, type QuotaLedger } from './quota-ledger.js';
import { RESOURCE_QUOTAS } from './resource-quota.js';
import { quotaScope } from './resource-quota-scopes.js';
import { quotaStatus, sameQuotaStatus, type QuotaStatus } from './resource-quota-status.js';
import { resourcesFor, type UsageMemo } from './resource-quota-usage.js';

export type { QuotaStatus };

/** Writes a quota's status (the status subresource, with optimistic concurrency). */
export type QuotaStatusWriter = (namespace: string, name: string, status: QuotaStatus) => Promise<void>;

export interface QuotaRecalculatorOptions {
  /** How long to gather changes before recounting a namespace. */
  debounceMs?: number;
}

export class QuotaRecalculator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly counted = new Map<string, Set<string>>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private readonly debounceMs: number;

  constructor(
    private readonly objects: ObjectReader,
    private readonly ledger: QuotaLedger,
    private readonly memo: UsageMemo,
    private readonly writeStatus: QuotaStatusWriter,
    private readonly log: Logger,
    opts: QuotaRecalculatorOptions = {},
  ) {
    this.debounceMs = opts.debounceMs ?? 50;
  }

  /** Recounts every namespace with quotas, then follows the cache's changes. */
  start(): void {
    this.unsubscribe = this.objects.onChange((change) => {
      if (change.type === 'DELETED') this.memo.forget(change.key);
      if (!change.namespace) return;
      const isQuota = change.gr.group === RESOURCE_QUOTAS.group && change.gr.resource === RESOURCE_QUOTAS.resource;
      if (isQuota) this.counted.delete(change.namespace);
      if (isQuota || this.countedIn(change.namespace).has(`${change.gr.group}/${change.gr.resource}`)) this.schedule(change.namespace);
    });
    const namespaces = new Set(this.objects.listCached(RESOURCE_QUOTAS).map((q) => q.namespace));
    for (const ns of namespaces) this.schedule(ns);
  }

  /** The resources a namespace's quotas count (`/pods`, `apps/deployments`), remembered until a quota changes. */
  private countedIn(namespace: string): ReadonlySet<string> {
    let set = this.counted.get(namespace);
    if (!set) {
      const names = new Set<string>();
      if (this.objects.listCached(RESOURCE_QUOTAS, namespace).length > 0) {
        for (const q of this.objects.list(RESOURCE_QUOTAS, namespace)) for (const k of hardOf(q).keys()) names.add(k);
      }
      set = new Set(resourcesFor(names).map((gr) => `${gr.group}/${gr.resource}`));
      this.counted.set(namespace, set);
    }
    return set;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Recounts `namespace` soon (changes within the debounce window share one recount). */
  schedule(namespace: string, delayMs = this.debounceMs): void {
    if (this.stopped || this.timers.has(namespace)) return;
    const timer = setTimeout(() => {
      this.timers.delete(namespace);
      void this.recount(namespace);
    }, delayMs);
    timer.unref();
    this.timers.set(namespace, timer);
  }

  /** Recounts one namespace now; a recount asked for while one runs follows it. */
  async recount(namespace: string): Promise<void> {
    const inFlight = this.running.get(namespace);
    if (inFlight) {
      this.dirty.add(namespace);
      return inFlight;
    }
    const run = this.recountOnce(namespace)
      .catch((err: unknown) => {
        this.log.warn({ err, namespace }, 'resource quota recount failed; retrying');
        this.schedule(namespace, 1000);
      })
      .finally(() => {
        this.running.delete(namespace);
        if (this.dirty.delete(namespace)) this.schedule(namespace);
      });
    this.running.set(namespace, run);
    return run;
  }

  private async recountOnce(namespace: string): Promise<void> {
    await this.objects.fresh();
    const quotas = this.objects.list(RESOURCE_QUOTAS, namespace);
    if (quotas.length === 0) return;
    for (const quota of quotas) {
      const hard = hardOf(quota);
      const used = currentUsage(this.objects, this.ledger, this.memo, namespace, hard.keys(), quotaScope(quota));
      const status = quotaStatus(hard, used);
      if (sameQuotaStatus(quota.status, status)) continue;
      await this.writeStatus(namespace, quota.metadata.name ?? '', status);
    }
    // A charge whose write never landed stops counting when it expires: recount then.
    const expiry = this.ledger.nextExpiry(namespace);
    if (expiry !== undefined) this.schedule(namespace, Math.max(this.debounceMs, expiry - Date.now() + 10));
  }
}
