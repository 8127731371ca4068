/**
 * v1 Pod: the field selectors the kubelet and controllers rely on, Pending status on create, and graceful
 * deletion (a pod bound to a node waits for its kubelet; an unbound one goes at once).
 */
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { age, column, NAME_COLUMN, AGE_COLUMN, orNone, since } from '../../printers/columns.js';
import type { TableConvertor } from '../../table.js';
import { defaultPodOnly, defaultPodSpec } from '../defaults/podspec.js';
import { child } from '../defaults/fields.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validatePod } from '../validation/podspec.js';
import { validatePodUpdate } from '../validation/podupdate.js';
import { podQOSClass } from './pod-qos.js';

const asPod = (obj: StoredObject): Pod => obj as Pod;

/**
 * The STATUS column: the phase, or what holds the pod up (an init container, a waiting or terminated
 * container's reason), or Terminating — the same precedence as kubectl's pod printer.
 */
export function podStatusReason(pod: Pod): string {
  const status = pod.status ?? {};
  let reason = status.reason || status.phase || 'Unknown';
  const initStatuses = status.initContainerStatuses ?? [];
  const initCount = pod.spec?.initContainers?.length ?? 0;
  let initializing = false;
  initStatuses.forEach((c, i) => {
    if (initializing) return;
    const term = c.state?.terminated;
    if (term && term.exitCode === 0) return;
    if (c.started && c.state?.running) return;
    initializing = true;
    if (term) reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initCount}`;
  });
  if (!initializing) {
    let hasRunning = false;
    const statuses: ContainerStatus[] = [...(status.containerStatuses ?? [])].reverse();
    for (const c of statuses) {
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated) {
        const t = c.state.terminated;
        reason = t.reason ? t.reason : t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      } else if (c.ready && c.state?.running) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = status.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

const podTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'string', 'The number of times the containers in this pod have been restarted, and when the last one did.'),
    AGE_COLUMN,
    column('IP', 'string', 'The IP address allocated to the pod.', 1),
    column('Node', 'string', 'The node the pod is bound to.', 1),
    column('Nominated Node', 'string', 'The node where preemption made room for this pod.', 1),
    column('Readiness Gates', 'string', 'Readiness gates that are true, of those the pod declares.', 1),
  ],
  cells(obj, now) {
    const pod = obj as Pod;
    const statuses = pod.status?.containerStatuses ?? [];
    const ready = statuses.filter((c) => c.ready).length;
    let restarts = 0;
    let lastRestart: string | undefined;
    for (const c of statuses) {
      restarts += c.restartCount ?? 0;
      const finished = c.lastState?.terminated?.finishedAt;
      if (finished && (!lastRestart || finished > lastRestart)) lastRestart = finished;
    }
    const gates = pod.spec?.readinessGates ?? [];
    const gatesTrue = gates.filter((g) => pod.status?.conditions?.some((c) => c.type === g.conditionType && c.status === 'True')).length;
    return [
      pod.metadata?.name ?? '',
      `${ready}/${pod.spec?.containers?.length ?? 0}`,
      podStatusReason(pod),
      restarts > 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts),
      age(obj, now),
      orNone(pod.status?.podIP),
      orNone(pod.spec?.nodeName),
      orNone(pod.status?.nominatedNodeName),
      gates.length > 0 ? `${gatesTrue}/${gates.length}` : '<none>',
    ];
  },
};

export const podStrategy: ResourceStrategy = {
  // kube's ValidatePod / ValidatePodUpdate; an unparsable quantity is a 400, as kube's decoder makes it.
  validate: decoding((obj) => validatePod(obj)),
  validateUpdate: decoding((obj, old) => validatePodUpdate(obj, old)),
  table: podTable,
  selectableFields: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  fieldValues(obj) {
    const pod = asPod(obj);
    return {
      'spec.nodeName': pod.spec?.nodeName ?? '',
      'spec.restartPolicy': pod.spec?.restartPolicy ?? '',
      'spec.schedulerName': pod.spec?.schedulerName ?? '',
      'spec.serviceAccountName': pod.spec?.serviceAccountName ?? '',
      'spec.hostNetwork': String(pod.spec?.hostNetwork ?? false),
      'status.phase': pod.status?.phase ?? '',
      'status.podIP': pod.status?.podIP ?? '',
      'status.nominatedNodeName': pod.status?.nominatedNodeName ?? '',
    };
  },
  defaults(obj) {
    const spec = child(obj, 'spec');
    defaultPodSpec(spec);
    defaultPodOnly(spec);
  },
  prepareForCreate(obj) {
    // The service account and priority come from admission (src/apiserver/admission/).
    obj.status = { phase: 'Pending', qosClass: podQOSClass(asPod(obj)) };
  },
  gracePeriodSeconds(obj, requested) {
    const pod = asPod(obj);
    if (!pod.spec?.nodeName) return 0;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    return requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  },
};
