/**
 * `kubectl get hpa` columns (kube's printHorizontalPodAutoscaler): Reference, Targets (`cpu: 42%/80%`, or
 * `<unknown>` for what the controller could not measure; two metrics shown, then `+ N more...`), MinPods,
 * MaxPods and Replicas.
 */
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { TableConvertor } from '../table.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from './columns.js';

const UNKNOWN = '<unknown>';
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** One metric as `current/target` (formatHPAMetrics). */
function formatMetric(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case 'External': {
      const t = spec.external?.target;
      if (t?.averageValue !== undefined) return `${str(status?.external?.current?.averageValue ?? UNKNOWN)}/${str(t.averageValue)} (avg)`;
      return `${status?.external ? str(status.external.current?.value) : UNKNOWN}/${str(t?.value)}`;
    }
    case 'Pods':
      return `${status?.pods ? str(status.pods.current?.averageValue) : UNKNOWN}/${str(spec.pods?.target?.averageValue)}`;
    case 'Object': {
      const t = spec.object?.target;
      if (t?.averageValue !== undefined) return `${str(status?.object?.current?.averageValue ?? UNKNOWN)}/${str(t.averageValue)} (avg)`;
      return `${status?.object ? str(status.object.current?.value) : UNKNOWN}/${str(t?.value)}`;
    }
    case 'Resource':
    case 'ContainerResource': {
      const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const current = spec.type === 'Resource' ? status?.resource?.current : status?.containerResource?.current;
      const name = str(source?.name);
      if (source?.target?.averageValue !== undefined) return `${name}: ${current ? str(current.averageValue) : UNKNOWN}/${str(source.target.averageValue)}`;
      const cur = current?.averageUtilization !== undefined ? `${current.averageUtilization}%` : UNKNOWN;
      const target = source?.target?.averageUtilization !== undefined ? `${source.target.averageUtilization}%` : '<auto>';
      return `${name}: ${cur}/${target}`;
    }
    default:
      return '<unknown type>';
  }
}

/** The Targets cell. */
export function formatHPAMetrics(specs: readonly MetricSpec[] | undefined, statuses: readonly MetricStatus[] | undefined): string {
  if (!specs || specs.length === 0) return '<none>';
  const list = specs.map((s, i) => formatMetric(s, statuses?.[i]));
  const shown = 2;
  return list.length > shown ? `${list.slice(0, shown).join(', ')} + ${list.length - shown} more...` : list.join(', ');
}

export const horizontalPodAutoscalerTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    column('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
    column('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    column('MaxPods', 'integer', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
    column('Replicas', 'integer', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
    AGE_COLUMN,
  ],
  cells: (obj, now) => {
    const hpa = obj as HorizontalPodAutoscaler;
    const ref = hpa.spec?.scaleTargetRef;
    return [
      obj.metadata?.name ?? '',
      `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      formatHPAMetrics(hpa.spec?.metrics, hpa.status?.currentMetrics),
      hpa.spec?.minReplicas !== undefined ? String(hpa.spec.minReplicas) : '<unset>',
      hpa.spec?.maxReplicas ?? 0,
      hpa.status?.currentReplicas ?? 0,
      age(obj, now),
    ];
  },
};
