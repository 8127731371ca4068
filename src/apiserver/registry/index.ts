/**
 * Every built-in resource with its strategy: the one place a resource's behaviour is attached to its
 * registry entry.
 */
import { BUILTIN_RESOURCES } from '../../api/resources.js';
import { deploymentStrategy } from './apps/deployments.js';
import { replicaSetStrategy } from './apps/replicasets.js';
import { statefulSetStrategy } from './apps/statefulsets.js';
import { configMapStrategy } from './core/configmaps.js';
import { eventStrategy } from './core/events.js';
import { namespaceStrategy } from './core/namespaces.js';
import { nodeStrategy } from './core/nodes.js';
import { podStrategy } from './core/pods.js';
import { replicationControllerStrategy } from './core/replicationcontrollers.js';
import { secretStrategy } from './core/secrets.js';
import { serviceStrategy } from './core/services.js';
import type { Resource, ResourceStrategy } from './strategy.js';

/** Strategies by `<group>/<resource>`; a resource without one stores and serves with the generic rules. */
const STRATEGIES: Record<string, ResourceStrategy> = {
  '/pods': podStrategy,
  '/namespaces': namespaceStrategy,
  '/secrets': secretStrategy,
  '/configmaps': configMapStrategy,
  '/services': serviceStrategy,
  '/events': eventStrategy,
  '/nodes': nodeStrategy,
  '/replicationcontrollers': replicationControllerStrategy,
  'apps/deployments': deploymentStrategy,
  'apps/replicasets': replicaSetStrategy,
  'apps/statefulsets': statefulSetStrategy,
};

const GENERIC: ResourceStrategy = {};

/** The built-in resources, each with its strategy. */
export function builtinResources(): Resource[] {
  return BUILTIN_RESOURCES.map((info) => ({ info, strategy: STRATEGIES[`${info.group}/${info.resource}`] ?? GENERIC }));
}
