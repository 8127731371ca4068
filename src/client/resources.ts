/**
 * Built-in resources as ResourceRefs, straight from the API registry (src/api/resources.ts), so controllers
 * address them without spelling group/version/scope again.
 */
import { BUILTIN_RESOURCES } from '../api/resources.js';
import type { ResourceRef } from './types.js';

/** A built-in resource by group, version and plural name; throws for one the registry does not serve. */
export function builtinResource(group: string, version: string, resource: string): ResourceRef {
  const info = BUILTIN_RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
  if (!info) throw new Error(`no built-in resource ${group ? `${group}/` : ''}${version}/${resource}`);
  return info;
}

export const NAMESPACES = builtinResource('', 'v1', 'namespaces');
export const CONFIGMAPS = builtinResource('', 'v1', 'configmaps');
export const SECRETS = builtinResource('', 'v1', 'secrets');
export const SERVICEACCOUNTS = builtinResource('', 'v1', 'serviceaccounts');
export const PODS = builtinResource('', 'v1', 'pods');
export const NODES = builtinResource('', 'v1', 'nodes');
export const SERVICES = builtinResource('', 'v1', 'services');
export const EVENTS = builtinResource('', 'v1', 'events');
export const DEPLOYMENTS = builtinResource('apps', 'v1', 'deployments');
export const REPLICASETS = builtinResource('apps', 'v1', 'replicasets');
export const LEASES = builtinResource('coordination.k8s.io', 'v1', 'leases');
