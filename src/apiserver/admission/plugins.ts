/**
 * The admission plugins, registered in one list in Kubernetes' order: NamespaceLifecycle, LimitRanger,
 * ServiceAccount, Priority, DefaultTolerationSeconds, DefaultStorageClass, ResourceQuota. Mutating passes run
 * in this order, then validating passes, so ResourceQuota counts the object as the others left it.
 */
import type { Logger } from 'pino';
import type { AdmissionPlugin, ObjectReader } from './admission.js';
import { DefaultStorageClass } from './default-storage-class.js';
import { DefaultTolerationSeconds } from './default-toleration-seconds.js';
import { LimitRanger } from './limit-ranger.js';
import { Priority } from './priority.js';
import { QuotaLedger } from './quota-ledger.js';
import { QuotaRecalculator, type QuotaStatusWriter } from './quota-recalculator.js';
import { ResourceQuota } from './resource-quota.js';
import { UsageMemo } from './resource-quota-usage.js';
import { ServiceAccount } from './service-account.js';

export interface AdmissionDeps {
  objects: ObjectReader;
  /** NamespaceLifecycle, built by the apiserver (it owns how namespaces are looked up). */
  namespaceLifecycle: AdmissionPlugin;
  /** Writes a ResourceQuota's status, for the in-process recalculation. */
  writeQuotaStatus: QuotaStatusWriter;
  logger: Logger;
  /** Whether the serviceaccount controller runs (see ServiceAccountOptions.defaultAccountsManaged). */
  defaultAccountsManaged: boolean;
}

export interface Admission {
  plugins: AdmissionPlugin[];
  /** Keeps quota status current; start it once the watch cache is filled, stop it on shutdown. */
  quotaRecalculator: QuotaRecalculator;
}

export function admissionPlugins(deps: AdmissionDeps): Admission {
  const ledger = new QuotaLedger();
  const memo = new UsageMemo();
  const quotaRecalculator = new QuotaRecalculator(deps.objects, ledger, memo, deps.writeQuotaStatus, deps.logger);
  return {
    plugins: [
      deps.namespaceLifecycle,
      new LimitRanger(deps.objects),
      new ServiceAccount(deps.objects, { defaultAccountsManaged: deps.defaultAccountsManaged }),
      new Priority(deps.objects),
      new DefaultTolerationSeconds(),
      new DefaultStorageClass(deps.objects),
      new ResourceQuota(deps.objects, ledger, memo, (ns) => quotaRecalculator.schedule(ns)),
    ],
    quotaRecalculator,
  };
}
