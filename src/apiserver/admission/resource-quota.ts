/**
 * ResourceQuota: refuses a create or update that would take a namespace past one of its quotas' hard limits,
 * with kube's `exceeded quota: <name>, requested: ..., used: ..., limited: ...`, and pods that leave unset a
 * compute resource a quota limits (`failed quota: <name>: must specify ...`).
 *
 * Usage is what the watch cache shows plus the charges admitted in flight (QuotaLedger). The check and the
 * charge happen in one synchronous step after the cache is fresh, so concurrent creates cannot both take the
 * last unit: no overshoot. Quotas with scopes count only the pods they select (resource-quota-scopes.ts). The
 * quotas' status (hard/used) is kept by the QuotaRecalculator.
 */
import type { GroupResource } from '../../apimachinery/status.js';
import type { StoredObject } from '../registry/strategy.js';
import { admissionForbidden, type AdmissionAttributes, type AdmissionPlugin, type ObjectReader } from './admission.js';
import { cmp, formatQuantity, sub, ZERO, add, type Quantity } from './quantity-usage.js';
import { createCharge, currentUsage, hardOf, QuotaLedger, updateCharge } from './quota-ledger.js';
import { quotaScope } from './resource-quota-scopes.js';
import { countedOf, missingComputeResources, UsageMemo, usageOf, type Counted, type Usage } from './resource-quota-usage.js';

export const RESOURCE_QUOTAS: GroupResource = { group: '', resource: 'resourcequotas' };

/** `a=1,b=2`, keys sorted (quota's prettyPrint). */
function prettyPrint(list: ReadonlyMap<string, Quantity>, keys: readonly string[]): string {
  return keys.map((k) => `${k}=${formatQuantity(list.get(k) ?? ZERO)}`).join(',');
}

export class ResourceQuota implements AdmissionPlugin {
  readonly name = 'ResourceQuota';

  constructor(
    private readonly objects: ObjectReader,
    readonly ledger: QuotaLedger,
    private readonly memo: UsageMemo,
    /** Told when a namespace's usage changed by a charge (the recalculator refreshes the status). */
    private readonly charged: (namespace: string) => void = () => {},
  ) {}

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const obj = attrs.object;
    if (attrs.operation === 'DELETE' || attrs.subresource !== '' || !obj || !attrs.namespace || !attrs.resource.namespaced) return;
    const gr: GroupResource = { group: attrs.resource.group, resource: attrs.resource.resource };
    // Pods' resources cannot change after create; their status (which ends their counting) is a subresource.
    if (attrs.operation === 'UPDATE' && gr.group === '' && gr.resource === 'pods') return;
    await this.objects.fresh();
    // From here on everything is synchronous: one snapshot of the cache, and the charge taken at once.
    // (Each quota is checked against its own usage: scoped quotas count only the pods they select.)
    const quotas = this.objects.list(RESOURCE_QUOTAS, attrs.namespace).sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    if (quotas.length === 0) return;
    const counted = this.delta(attrs, gr, obj);
    if (!counted) return;
    const delta = counted.usage;
    // Only quotas that count this object and limit something it changes matter (most writes touch none).
    const relevant = quotas
      .map((quota) => ({ quota, hard: hardOf(quota), scope: quotaScope(quota) }))
      .filter(({ hard, scope }) => scope.matches(gr, counted.pod) && [...delta.keys()].some((k) => hard.has(k)));
    if (relevant.length === 0) return;
    for (const { quota, hard, scope } of relevant) {
      const constrained = [...delta.keys()].filter((k) => hard.has(k)).sort();
      const quotaName = quota.metadata.name ?? '';
      if (attrs.operation === 'CREATE' && gr.group === '' && gr.resource === 'pods') {
        const missing = missingComputeResources(obj, new Set(hard.keys()));
        if (missing.length > 0) throw admissionForbidden(attrs, `failed quota: ${quotaName}: must specify ${missing.join(',')}`);
      }
      const used = currentUsage(this.objects, this.ledger, this.memo, attrs.namespace, constrained, scope);
      const exceeded = constrained.filter((k) => cmp(delta.get(k)!, ZERO) > 0 && cmp(add(used.get(k) ?? ZERO, delta.get(k)!), hard.get(k)!) > 0);
      if (exceeded.length > 0) {
        throw admissionForbidden(
          attrs,
          `exceeded quota: ${quotaName}, requested: ${prettyPrint(delta, exceeded)}, used: ${prettyPrint(used, exceeded)}, limited: ${prettyPrint(hard, exceeded)}`,
        );
      }
    }
    if (attrs.dryRun) return;
    if (attrs.operation === 'CREATE') {
      this.ledger.add(createCharge(gr, attrs.namespace, counted, obj.metadata));
    } else {
      const current = (): number | undefined => {
        const o = this.objects.get(gr, attrs.namespace, attrs.name);
        return o ? Number(o.metadata.resourceVersion) : undefined;
      };
      const old = current();
      if (old !== undefined) this.ledger.add(updateCharge(gr, attrs.namespace, counted, current, old));
    }
    this.charged(attrs.namespace);
  }

  /** What the write adds: the new object's usage, less the old one's on update; undefined when nothing. */
  private delta(attrs: AdmissionAttributes, gr: GroupResource, obj: StoredObject): Counted | undefined {
    const counted = countedOf(gr, obj);
    const usage = counted.usage;
    if (attrs.operation === 'UPDATE') {
      const old = this.objects.get(gr, attrs.namespace, attrs.name);
      if (!old) return usage.size > 0 ? counted : undefined;
      const before = usageOf(gr, old);
      const delta: Usage = new Map();
      for (const k of new Set([...usage.keys(), ...before.keys()])) {
        const d = sub(usage.get(k) ?? ZERO, before.get(k) ?? ZERO);
        if (d.nano !== 0n) delta.set(k, d);
      }
      return delta.size > 0 ? { ...counted, usage: delta } : undefined;
    }
    return usage.size > 0 ? counted : undefined;
  }
}
