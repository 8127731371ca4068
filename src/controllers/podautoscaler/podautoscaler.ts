/**
 * The horizontal pod autoscaler controller (kube's horizontal-pod-autoscaler-controller), without metrics yet:
 * every 15 s per HPA it reads the target's scale subresource (Deployment, ReplicaSet, StatefulSet,
 * ReplicationController, or any kind discovery maps), sets AbleToScale, brings a target outside
 * [minReplicas, maxReplicas] back inside (that needs no metrics), and otherwise asks its metrics — which fail
 * with kube's FailedGetResourceMetric (no metrics API is served), so ScalingActive is False and the replica
 * count is left alone. status.currentReplicas / desiredReplicas and the events are kube's.
 */
import type { HorizontalPodAutoscaler, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { builtinResource } from '../../client/resources.js';
import type { KubeObject, ResourceRef } from '../../client/types.js';
import { RESTMapper } from '../../client/discovery.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { semanticEqual } from '../endpoint/util.js';
import { bounds, setCondition, setStatus, unavailableMetric } from './status.js';

export type HPAObject = HorizontalPodAutoscaler & KubeObject;
type ScaleObject = Scale & KubeObject;

export const HORIZONTALPODAUTOSCALERS = builtinResource('autoscaling', 'v2', 'horizontalpodautoscalers');
/** kube's --horizontal-pod-autoscaler-sync-period. */
export const HPA_SYNC_PERIOD_MS = 15_000;
const DISCOVERY_TTL_MS = 30_000;

/** Scalable kinds every cluster serves, mapped without asking discovery. */
const WELL_KNOWN: Record<string, ResourceRef> = {
  'apps/Deployment': builtinResource('apps', 'v1', 'deployments'),
  'apps/ReplicaSet': builtinResource('apps', 'v1', 'replicasets'),
  'apps/StatefulSet': builtinResource('apps', 'v1', 'statefulsets'),
  '/ReplicationController': builtinResource('', 'v1', 'replicationcontrollers'),
};

export class HorizontalController implements ManagedController {
  readonly name = 'horizontal-pod-autoscaler-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private hpas!: SharedInformer<HPAObject>;
  private mapper: RESTMapper | undefined;
  private mappedAt = 0;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly syncPeriodMs = HPA_SYNC_PERIOD_MS,
  ) {
    const log = ctx.logger.child({ controller: this.name });
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncHPA(key), logger: log });
    this.recorder = new EventRecorder(ctx.client, 'horizontal-pod-autoscaler', '', log);
  }

  async init(): Promise<void> {
    this.hpas = this.ctx.informers.informerFor<HPAObject>(HORIZONTALPODAUTOSCALERS);
    this.hpas.addEventHandler({
      onAdd: (h) => this.controller.enqueue(metaNamespaceKey(h)),
      // Our own status writes come back as updates: only a spec change is worth a sync before the next period.
      onUpdate: (old, h) => (semanticEqual(old.spec, h.spec) ? undefined : this.controller.enqueue(metaNamespaceKey(h))),
    });
  }

  async run(): Promise<void> {
    await this.hpas.waitForSync();
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** One sync, then the next one a period later while the HPA exists (kube's fixed-interval resync). */
  async syncHPA(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const hpa = this.hpas.lister().namespace(namespace).get(name);
    if (!hpa || hpa.metadata.deletionTimestamp) return;
    try {
      await this.reconcileAutoscaler(hpa);
    } catch (err) {
      if (isConflict(err)) return this.controller.enqueueAfter(key, 100);
      this.controller.log.warn({ hpa: key, err: err instanceof Error ? err.message : String(err) }, 'horizontal pod autoscaler sync failed');
    }
    this.controller.enqueueAfter(key, this.syncPeriodMs);
  }

  /** reconcileAutoscaler: scale, bounds, metrics, rescale, status. Throws only on a failed status write. */
  async reconcileAutoscaler(shared: HPAObject): Promise<void> {
    const hpa = structuredClone(shared);
    const original = structuredClone(shared.status);
    const target = hpa.spec?.scaleTargetRef;
    const namespace = hpa.metadata.namespace!;
    let scale: ScaleObject;
    let ref: ResourceRef;
    try {
      ref = await this.resourceFor(target?.apiVersion ?? '', target?.kind ?? '');
      scale = await this.ctx.client.requestJSON<ScaleObject>('GET', this.ctx.client.resource(ref).namespace(namespace).path(target?.name ?? '', 'scale'));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.event(hpa, 'Warning', 'FailedGetScale', message);
      setCondition(hpa, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${message}`);
      await this.updateStatusIfNeeded(original, hpa);
      return;
    }
    setCondition(hpa, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const currentReplicas = scale.spec?.replicas ?? 0;
    const { min, max } = bounds(hpa);
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;
    if (currentReplicas === 0 && min !== 0) {
      // Autoscaling is off while the target is scaled to zero.
      rescale = false;
      setCondition(hpa, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (currentReplicas > max) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = max;
    } else if (currentReplicas < min) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = min;
    } else {
      // Within bounds, only metrics could move it: none are served yet, so this always ends here.
      const failure = this.computeReplicasForMetrics(hpa, scale);
      metricStatuses = failure.statuses;
      setStatus(hpa, currentReplicas, hpa.status?.desiredReplicas ?? 0, metricStatuses, false);
      await this.updateStatusIfNeeded(original, hpa);
      this.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', failure.error);
      return;
    }
    if (rescale) {
      try {
        await this.ctx.client.requestJSON('PUT', this.ctx.client.resource(ref).namespace(namespace).path(target?.name ?? '', 'scale'), {
          ...scale,
          spec: { ...scale.spec, replicas: desiredReplicas },
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.event(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${message}`);
        setCondition(hpa, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${message}`);
        setStatus(hpa, currentReplicas, hpa.status?.desiredReplicas ?? 0, metricStatuses, false);
        await this.updateStatusIfNeeded(original, hpa);
        return;
      }
      setCondition(hpa, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
      this.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
      this.controller.log.info({ hpa: metaNamespaceKey(hpa), currentReplicas, desiredReplicas, reason: rescaleReason }, 'successfully rescaled');
    } else {
      desiredReplicas = currentReplicas;
    }
    setStatus(hpa, currentReplicas, desiredReplicas, metricStatuses, rescale);
    await this.updateStatusIfNeeded(original, hpa);
  }

  /**
   * computeReplicasForMetrics with no metrics API: the target's scale must have a selector; then every metric
   * fails, each recording its event, and the first failure becomes ScalingActive=False.
   */
  private computeReplicasForMetrics(hpa: HPAObject, scale: ScaleObject): { statuses: MetricStatus[] | undefined; error: string } {
    if (!scale.status?.selector) {
      this.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
      return { statuses: undefined, error: 'selector is required' };
    }
    const specs = hpa.spec?.metrics ?? [];
    const failures = specs.map((spec) => unavailableMetric(spec));
    for (const f of failures) this.event(hpa, 'Warning', f.reason, f.error);
    const first = failures[0];
    if (first) setCondition(hpa, 'ScalingActive', 'False', first.reason, `the HPA was unable to compute the replica count: ${first.error}`);
    // kube keeps one (empty) status per metric it could not read.
    const statuses = specs.map(() => ({ type: '' }) as unknown as MetricStatus);
    return { statuses, error: `invalid metrics (${failures.length} invalid out of ${specs.length}), first error is: ${first?.wrapped ?? ''}` };
  }

  private async updateStatusIfNeeded(original: HorizontalPodAutoscaler['status'], hpa: HPAObject): Promise<void> {
    if (semanticEqual(original, hpa.status)) return;
    try {
      await this.ctx.client.resource<HPAObject>(HORIZONTALPODAUTOSCALERS).namespace(hpa.metadata.namespace!).updateStatus(hpa);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** The resource a scaleTargetRef names (RESTMappings): well-known kinds directly, others through discovery. */
  private async resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    const known = WELL_KNOWN[`${group}/${kind}`];
    if (known) return known;
    let ref = this.mapper?.resourceFor(apiVersion, kind);
    if (!ref && Date.now() - this.mappedAt > DISCOVERY_TTL_MS) {
      this.mapper = new RESTMapper(await this.ctx.discovery.serverPreferredResources());
      this.mappedAt = Date.now();
      ref = this.mapper.resourceFor(apiVersion, kind);
    }
    if (!ref) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
    return ref;
  }

  private event(hpa: HPAObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.recorder.event({ ...hpa, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' }, type, reason, message);
  }
}
