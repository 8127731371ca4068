/** apps/v1 Deployment: scale subresource (rollout semantics come with the controllers). */
import { replicasScale } from '../scale.js';
import type { ResourceStrategy } from '../strategy.js';

export const deploymentStrategy: ResourceStrategy = {
  scale: replicasScale(),
};
