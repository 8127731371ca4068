/** The `scale` subresource (autoscaling/v1 Scale) over a workload's `spec.replicas`. */
import { badRequest, conflict, invalid, methodNotSupported, OBJECT_MODIFIED } from '../../apimachinery/status.js';
import type { ScaleAccess, StoredObject } from '../registry/strategy.js';
import { respondObject, type RequestScope } from './scope.js';

/** The Scale view of a workload. */
export function scaleOf(obj: StoredObject, access: ScaleAccess): StoredObject {
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: access.specReplicas(obj) },
    status: { replicas: access.statusReplicas(obj), selector: access.selector(obj) },
  };
}

function scaleAccess(scope: RequestScope): ScaleAccess {
  const access = scope.registry.resource.strategy.scale;
  if (!access) throw methodNotSupported(scope.registry.gr, scope.info.verb);
  return access;
}

export async function getScale(scope: RequestScope): Promise<void> {
  const access = scaleAccess(scope);
  const obj = await scope.registry.getObject(scope.info.namespace || undefined, scope.info.name);
  respondObject(scope, scaleOf(obj, access));
}

/**
 * Writes spec.replicas from a Scale computed from the current one (PUT gives a fixed Scale, PATCH a patched
 * copy); a resourceVersion in the Scale is a precondition, as on the object itself.
 */
export async function updateScale(
  scope: RequestScope,
  nextScale: (current: StoredObject) => StoredObject,
  dryRun: boolean,
): Promise<StoredObject> {
  const access = scaleAccess(scope);
  const { info, registry } = scope;
  const updated = await registry.update(
    info.namespace || undefined,
    info.name,
    (obj) => {
      const current = scaleOf(obj, access);
      const scale = nextScale(current) as StoredObject & { spec?: { replicas?: unknown } };
      const rv = scale.metadata?.resourceVersion;
      if (rv && rv !== obj.metadata.resourceVersion) throw conflict(registry.gr, info.name, OBJECT_MODIFIED);
      const replicas = scale.spec?.replicas ?? 0;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas)) throw badRequest('spec.replicas: must be an integer');
      if (replicas < 0) {
        throw invalidReplicas(replicas);
      }
      access.setSpecReplicas(obj, replicas);
      return obj;
    },
    { dryRun },
  );
  return scaleOf(updated, access);
}

function invalidReplicas(replicas: number): Error {
  return invalid('Scale', 'autoscaling', '', [
    { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${replicas}: must be greater than or equal to 0` },
  ]);
}
