/**
 * `POST pods/<name>/eviction`: a delete that respects PodDisruptionBudgets (kube's EvictionREST). The pod is
 * deleted unless the one PDB selecting it allows no disruption now, which answers 429 TooManyRequests with the
 * DisruptionBudget cause; an allowed eviction first takes one disruption from the budget (status.disruptedPods
 * records the pod until the disruption controller sees it gone), so two evictions cannot both spend the last one.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import type { Eviction, PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { labelSelectorFromMeta } from '../../apimachinery/labels.js';
import { badRequest, failure, type StatusError } from '../../apimachinery/status.js';
import { decodeBody, readBody, writeObject } from '../http.js';
import type { GenericRegistry } from '../registry/generic.js';
import type { StoredObject } from '../registry/strategy.js';
import type { RequestScope } from './scope.js';
import { parseDryRun } from './write.js';
import { rfc3339 } from '../../apimachinery/time.js';

/** kube's maxDisruptedPodSize: a budget tracks at most this many evictions in flight. */
const MAX_DISRUPTED_PODS = 2000;
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";


/** 429 with the DisruptionBudget cause, as kube words it. */
function tooManyRequests(causeMessage: string): StatusError {
  return failure(429, 'TooManyRequests', VIOLATION, { causes: [{ reason: 'DisruptionBudget', message: causeMessage }] });
}

/** A pod that is already done, not yet running, or going away may be evicted whatever the budget (kube's canIgnorePDB). */
function canIgnoreBudget(pod: Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return true;
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || phase === undefined;
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}


export async function createEviction(scope: RequestScope, budgets: GenericRegistry): Promise<void> {
  const { info } = scope;
  const dryRun = parseDryRun(scope);
  const decoded = decodeBody(await readBody(scope.req), scope.req.headers['content-type']);
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw badRequest('the object provided is unrecognized (must be of type Eviction)');
  const eviction = decoded as Eviction;
  if ((eviction.kind ?? 'Eviction') !== 'Eviction' || !['policy/v1', 'policy/v1beta1', undefined].includes(eviction.apiVersion)) {
    throw badRequest('the object provided is unrecognized (must be of type Eviction)');
  }
  if (eviction.metadata?.name !== undefined && eviction.metadata.name !== info.name) throw badRequest('name in URL does not match name in Eviction object');
  const deleteOptions: DeleteOptions = { ...(eviction.deleteOptions ?? {}) };
  const deleteDryRun = dryRun || (deleteOptions.dryRun ?? []).includes('All');

  const pod = (await scope.registry.getObject(info.namespace, info.name)) as Pod & StoredObject;
  if (!canIgnoreBudget(pod)) {
    const labels = pod.metadata.labels ?? {};
    const { items } = await budgets.list({ namespace: info.namespace });
    const matching = items
      .map((o) => JSON.parse(o.json) as PodDisruptionBudget & StoredObject)
      // As kube's eviction does, a budget with an empty selector matches nothing here, not everything.
      .filter((pdb) => {
        try {
          const sel = labelSelectorFromMeta(pdb.spec?.selector);
          return !sel.empty() && sel.matches(labels);
        } catch {
          return false;
        }
      });
    if (matching.length > 1) {
      throw failure(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    }
    const pdb = matching[0];
    // kube's unhealthyPodEvictionPolicy: a pod that is not Ready may go without spending the budget, always
    // (AlwaysAllow) or while the budget is met (IfHealthyBudget, the default).
    const policy = pdb?.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
    const healthy = pdb?.status?.currentHealthy ?? 0;
    const desired = pdb?.status?.desiredHealthy ?? 0;
    const unhealthyWhileMet = pdb !== undefined && !isReady(pod) && (policy === 'AlwaysAllow' || (desired > 0 && healthy >= desired));
    if (pdb && !unhealthyWhileMet) await spendDisruption(budgets, pdb, pod, deleteDryRun);
  }
  await scope.registry.delete(info.namespace, info.name, { ...deleteOptions, dryRun: undefined }, deleteDryRun);
  scope.code = 201;
  writeObject(scope.req, scope.res, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, { status: 201, type: scope.accept.type, warnings: scope.warnings });
}

/** kube's checkAndDecrement: refuses when the budget allows nothing now, else takes one disruption from it. */
async function spendDisruption(budgets: GenericRegistry, seen: PodDisruptionBudget & StoredObject, pod: Pod & StoredObject, dryRun: boolean): Promise<void> {
  const name = seen.metadata.name!;
  const check = (pdb: PodDisruptionBudget): void => {
    if ((pdb.status?.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
      throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`);
    }
    const allowed = pdb.status?.disruptionsAllowed ?? 0;
    if (allowed < 0) throw failure(403, 'Forbidden', 'pdb disruptions allowed is negative');
    if (Object.keys(pdb.status?.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
      throw failure(403, 'Forbidden', 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    }
    if (allowed === 0) {
      throw tooManyRequests(`The disruption budget ${name} needs ${pdb.status?.desiredHealthy ?? 0} healthy pods and has ${pdb.status?.currentHealthy ?? 0} currently`);
    }
  };
  if (dryRun) {
    check(seen);
    return;
  }
  // A guaranteed update: a concurrent eviction that spent the same disruption makes this one re-check.
  await budgets.update(
    seen.metadata.namespace,
    name,
    (current) => {
      const pdb = current as PodDisruptionBudget & StoredObject;
      check(pdb);
      const status = pdb.status!;
      return {
        ...pdb,
        status: {
          ...status,
          disruptionsAllowed: status.disruptionsAllowed - 1,
          disruptedPods: { ...(status.disruptedPods ?? {}), [pod.metadata.name!]: rfc3339() },
        },
      } as StoredObject;
    },
    { subresource: 'status' },
  );
}
