/**
 * Every built-in resource with its strategy: the one place a resource's behaviour is attached to its
 * registry entry.
 */
import { BUILTIN_RESOURCES } from '../../api/resources.js';
import { daemonSetStrategy } from './apps/daemonsets.js';
import { deploymentStrategy } from './apps/deployments.js';
import { replicaSetStrategy } from './apps/replicasets.js';
import { statefulSetStrategy } from './apps/statefulsets.js';
import { horizontalPodAutoscalerStrategy } from './autoscaling/horizontalpodautoscalers.js';
import { cronJobStrategy } from './batch/cronjobs.js';
import { jobStrategy } from './batch/jobs.js';
import { leaseStrategy } from './coordination/leases.js';
import { configMapStrategy } from './core/configmaps.js';
import { endpointsStrategy } from './core/endpoints.js';
import { eventStrategy, eventsV1Strategy } from './core/events.js';
import { namespaceStrategy } from './core/namespaces.js';
import { limitRangeStrategy } from './core/limitranges.js';
import { resourceQuotaStrategy } from './core/resourcequotas.js';
import { nodeStrategy } from './core/nodes.js';
import { podTemplateStrategy } from './core/podtemplates.js';
import { persistentVolumeClaimStrategy } from './core/persistentvolumeclaims.js';
import { persistentVolumeStrategy } from './core/persistentvolumes.js';
import { podStrategy } from './core/pods.js';
import { replicationControllerStrategy } from './core/replicationcontrollers.js';
import { secretStrategy } from './core/secrets.js';
import { serviceAccountStrategy } from './core/serviceaccounts.js';
import type { ServiceAllocator } from './core/service-allocator.js';
import { newServiceStrategy, serviceStrategy } from './core/services.js';
import { endpointSliceStrategy } from './discovery/endpointslices.js';
import { ingressStrategy } from './networking/ingresses.js';
import { networkPolicyStrategy } from './networking/networkpolicies.js';
import { podDisruptionBudgetStrategy } from './policy/poddisruptionbudgets.js';
import { clusterRoleBindingStrategy } from './rbac/clusterrolebindings.js';
import { roleBindingStrategy } from './rbac/rolebindings.js';
import { clusterRoleStrategy, roleStrategy } from './rbac/roles.js';
import { priorityClassStrategy } from './scheduling/priorityclasses.js';
import { storageClassStrategy } from './storage/storageclasses.js';
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
  '/endpoints': endpointsStrategy,
  '/persistentvolumes': persistentVolumeStrategy,
  '/persistentvolumeclaims': persistentVolumeClaimStrategy,
  '/serviceaccounts': serviceAccountStrategy,
  '/limitranges': limitRangeStrategy,
  '/resourcequotas': resourceQuotaStrategy,
  '/podtemplates': podTemplateStrategy,
  'apps/deployments': deploymentStrategy,
  'apps/replicasets': replicaSetStrategy,
  'apps/statefulsets': statefulSetStrategy,
  'apps/daemonsets': daemonSetStrategy,
  'batch/jobs': jobStrategy,
  'batch/cronjobs': cronJobStrategy,
  'autoscaling/horizontalpodautoscalers': horizontalPodAutoscalerStrategy,
  'coordination.k8s.io/leases': leaseStrategy,
  'events.k8s.io/events': eventsV1Strategy,
  'discovery.k8s.io/endpointslices': endpointSliceStrategy,
  'networking.k8s.io/networkpolicies': networkPolicyStrategy,
  'networking.k8s.io/ingresses': ingressStrategy,
  'policy/poddisruptionbudgets': podDisruptionBudgetStrategy,
  'scheduling.k8s.io/priorityclasses': priorityClassStrategy,
  'storage.k8s.io/storageclasses': storageClassStrategy,
  // Roles and ClusterRoles keep the default Name/Created At columns, as kube-apiserver prints them.
  'rbac.authorization.k8s.io/roles': roleStrategy,
  'rbac.authorization.k8s.io/clusterroles': clusterRoleStrategy,
  'rbac.authorization.k8s.io/rolebindings': roleBindingStrategy,
  'rbac.authorization.k8s.io/clusterrolebindings': clusterRoleBindingStrategy,
};

const GENERIC: ResourceStrategy = {};

/** What strategies that act on storage beyond their own objects need from the apiserver. */
export interface StrategyDeps {
  /** Cluster IPs and node ports for Services; without it Services get none. */
  serviceAllocator?: ServiceAllocator;
}

/** The built-in resources, each with its strategy. */
export function builtinResources(deps: StrategyDeps = {}): Resource[] {
  const strategies: Record<string, ResourceStrategy> = { ...STRATEGIES, '/services': newServiceStrategy(deps.serviceAllocator) };
  return BUILTIN_RESOURCES.map((info) => ({ info, strategy: strategies[`${info.group}/${info.resource}`] ?? GENERIC }));
}
