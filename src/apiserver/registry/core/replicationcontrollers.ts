/** v1 ReplicationController: scale subresource over a plain-map selector, and kube's defaults. */
import { child, copyMap, isEmptyMap, isFields, setDefault } from '../defaults/fields.js';
import { defaultTemplate } from '../defaults/podspec.js';
import { replicasScale } from '../scale.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { decoding } from '../validation/decode.js';
import { validateReplicationController } from '../validation/workloads.js';

/** SetDefaults_ReplicationController: selector and labels from the template's labels, one replica. */
export function defaultReplicationController(obj: StoredObject): void {
  const spec = child(obj, 'spec');
  if (!spec) return;
  const labels = child(child(spec, 'template') ?? {}, 'metadata')?.labels;
  if (isFields(labels)) {
    if (isEmptyMap(spec.selector)) spec.selector = copyMap(labels);
    if (isEmptyMap(obj.metadata.labels)) obj.metadata.labels = copyMap(labels) as Record<string, string>;
  }
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec.template);
}

export const replicationControllerStrategy: ResourceStrategy = {
  scale: replicasScale({ plainMapSelector: true }),
  defaults: defaultReplicationController,
  validate: decoding((obj) => validateReplicationController(obj)),
  validateUpdate: decoding((obj) => validateReplicationController(obj)),
  // kube keeps v1's old default: a delete naming no policy orphans the pods.
  defaultGarbageCollectionPolicy: 'OrphanDependents',
};
