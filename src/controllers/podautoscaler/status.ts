/**
 * HorizontalPodAutoscaler status as kube's HPA controller writes it: conditions set in place (a transition
 * time only when the status flips), the status rebuilt from current/desired replicas and metric statuses, and
 * the errors a metric gives when its metrics API is not served — with kube's wording, since `kubectl describe
 * hpa` shows them to users.
 */
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import { rfc3339 } from '../../apimachinery/time.js';

export type ConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

/** setCondition: updates or appends the condition; its transition time moves only when its status changes. */
export function setCondition(hpa: HorizontalPodAutoscaler, type: ConditionType, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now = rfc3339()): void {
  const st: HorizontalPodAutoscalerStatus = (hpa.status ??= { desiredReplicas: 0 });
  const conditions: HorizontalPodAutoscalerCondition[] = [...(st.conditions ?? [])];
  let i = conditions.findIndex((c) => c.type === type);
  if (i < 0) i = conditions.push({ type, status: 'Unknown' }) - 1;
  const existing = conditions[i]!;
  const lastTransitionTime = existing.status !== status || !existing.lastTransitionTime ? now : existing.lastTransitionTime;
  conditions[i] = { type, status, lastTransitionTime, reason, message };
  st.conditions = conditions;
}

/** setStatus: current and desired replicas and metric statuses; the last scale time moves on a rescale. */
export function setStatus(hpa: HorizontalPodAutoscaler, currentReplicas: number, desiredReplicas: number, metrics: MetricStatus[] | undefined, rescaled: boolean, now = rfc3339()): void {
  const old = hpa.status;
  const status: HorizontalPodAutoscalerStatus = { currentReplicas, desiredReplicas };
  const lastScaleTime = rescaled ? now : old?.lastScaleTime;
  if (lastScaleTime) status.lastScaleTime = lastScaleTime;
  if (metrics && metrics.length > 0) status.currentMetrics = metrics;
  if (old?.conditions) status.conditions = old.conditions;
  hpa.status = status;
}

/** What one metric's failure looks like: the event/condition reason, the error, and the error as the metric's. */
export interface MetricFailure {
  reason: string;
  /** The error (the event's message; the condition says "the HPA was unable to compute the replica count: " + it). */
  error: string;
  /** The error as computeReplicasForMetric returns it (first error of FailedComputeMetricsReplicas). */
  wrapped: string;
}

const RESOURCE_METRICS_MISSING = 'unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)';
const CUSTOM_METRICS_MISSING = 'unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered';
const EXTERNAL_METRICS_MISSING = 'unable to fetch metrics from external metrics API: no external metrics API (external.metrics.k8s.io) registered';

/**
 * The failure of a metric when no metrics API is served (k8ts has no metrics pipeline yet): resource metrics
 * come from metrics.k8s.io, pods and object metrics from custom.metrics.k8s.io, external ones from
 * external.metrics.k8s.io.
 */
export function unavailableMetric(spec: MetricSpec): MetricFailure {
  switch (spec.type) {
    case 'Resource':
    case 'ContainerResource': {
      const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const name = source?.name ?? '';
      const what = source?.target?.type === 'AverageValue' ? 'usage' : 'utilization';
      const error = `failed to get ${name} ${what}: unable to get metrics for resource ${name}: ${RESOURCE_METRICS_MISSING}`;
      return spec.type === 'Resource'
        ? { reason: 'FailedGetResourceMetric', error, wrapped: `failed to get ${name} resource metric value: ${error}` }
        : { reason: 'FailedGetContainerResourceMetric', error, wrapped: `failed to get ${name} container resource metric value: ${error}` };
    }
    case 'Pods': {
      const error = `unable to get metric ${spec.pods?.metric?.name ?? ''}: ${CUSTOM_METRICS_MISSING}`;
      return { reason: 'FailedGetPodsMetric', error, wrapped: `failed to get pods metric value: ${error}` };
    }
    case 'Object': {
      const ref = spec.object?.describedObject;
      const error = `unable to get metric ${spec.object?.metric?.name ?? ''}: ${ref?.kind ?? ''} on ${ref?.name ?? ''}/${CUSTOM_METRICS_MISSING}`;
      return { reason: 'FailedGetObjectMetric', error, wrapped: `failed to get object metric value: ${error}` };
    }
    case 'External': {
      const error = `unable to get external metric ${spec.external?.metric?.name ?? ''}: ${EXTERNAL_METRICS_MISSING}`;
      return { reason: 'FailedGetExternalMetric', error, wrapped: `failed to get external metric value: ${error}` };
    }
    default:
      return { reason: 'InvalidMetricSourceType', error: `unknown metric source type "${spec.type}"`, wrapped: `unknown metric source type "${spec.type}"` };
  }
}

/** The HPA's bounds: minReplicas (default 1) and maxReplicas. */
export function bounds(hpa: HorizontalPodAutoscaler): { min: number; max: number } {
  return { min: hpa.spec?.minReplicas ?? 1, max: hpa.spec?.maxReplicas ?? 0 };
}
