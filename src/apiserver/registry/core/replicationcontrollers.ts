/** v1 ReplicationController: scale subresource over a plain-map selector. */
import { replicasScale } from '../scale.js';
import type { ResourceStrategy } from '../strategy.js';

export const replicationControllerStrategy: ResourceStrategy = {
  scale: replicasScale({ plainMapSelector: true }),
};
