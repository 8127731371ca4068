/** apps/v1 ReplicaSet: scale subresource. */
import { replicasScale } from '../scale.js';
import type { ResourceStrategy } from '../strategy.js';

export const replicaSetStrategy: ResourceStrategy = {
  scale: replicasScale(),
};
