/** apps/v1 StatefulSet: scale subresource. */
import { replicasScale } from '../scale.js';
import type { ResourceStrategy } from '../strategy.js';

export const statefulSetStrategy: ResourceStrategy = {
  scale: replicasScale(),
};
