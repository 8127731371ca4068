/**
 * v1 Pod: the field selectors the kubelet and controllers rely on, Pending status on create, and graceful
 * deletion (a pod bound to a node waits for its kubelet; an unbound one goes at once).
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';

const asPod = (obj: StoredObject): Pod => obj as Pod;

export const podStrategy: ResourceStrategy = {
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
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' };
  },
  gracePeriodSeconds(obj, requested) {
    const pod = asPod(obj);
    if (!pod.spec?.nodeName) return 0;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    return requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  },
};
