/**
 * Server-side apply (PATCH with `application/apply-patch+yaml`) and the field manager every write goes
 * through: who set which field is kept in metadata.managedFields (src/apimachinery/managedfields).
 */
import { schemaForObject } from '../../api/openapi/schema.js';
import { applyConfiguration, updateManagedFields, type FieldManagerRequest } from '../../apimachinery/managedfields/manager.js';
import { badRequest, invalid, StatusError } from '../../apimachinery/status.js';
import { checkUnknownFields, parseFieldValidation } from '../field-validation.js';
import { checkNestingDepth, decodeBody, PATCH_TYPES } from '../http.js';
import { fromStorageVersion, toStorageVersion } from '../registry/conversion.js';
import type { WriteOptions } from '../registry/generic.js';
import { hasStatusSubresource, type StoredObject } from '../registry/strategy.js';
import { respondObject, served, type RequestScope } from './scope.js';

/** The request's field manager: `fieldManager`, or the client's User-Agent up to its first `/`, as kube. */
function managerName(scope: RequestScope): string {
  const given = scope.query.get('fieldManager');
  if (given) {
    if (given.length > 128) {
      throw invalid('PatchOptions', 'meta.k8s.io', '', [
        { reason: 'FieldValueInvalid', field: 'fieldManager', message: `Invalid value: "${given}": must be no more than 128 characters` },
      ]);
    }
    return given;
  }
  const agent = scope.req.headers['user-agent'] ?? '';
  return agent.split('/')[0]!.slice(0, 128);
}

function fieldManagerRequest(scope: RequestScope, manager: string): FieldManagerRequest {
  const sub = scope.info.subresource;
  return {
    manager,
    apiVersion: scope.resource.info.group ? `${scope.resource.info.group}/${scope.resource.info.version}` : scope.resource.info.version,
    ...(sub === 'status' ? { subresource: 'status' } : {}),
    statusSplit: hasStatusSubresource(scope.resource.info),
  };
}

/** The registry hook that records an update's (create, PUT, non-apply PATCH) fields for its manager. */
export function trackUpdates(scope: RequestScope): Pick<WriteOptions, 'trackManagedFields'> {
  const req = fieldManagerRequest(scope, managerName(scope));
  return {
    trackManagedFields: (obj, old) =>
      updateManagedFields(obj, old, schemaForObject(String(obj.apiVersion), String(obj.kind)), req),
  };
}

/** Steps every write takes through admission and storage, given by the write handlers. */
export interface ApplySteps {
  admit(operation: 'CREATE' | 'UPDATE', obj: StoredObject): Promise<void>;
  dryRun: boolean;
}

/** PATCH with an apply configuration: merges it as the field manager's intent, creating the object if missing. */
export async function serverSideApply(scope: RequestScope, body: Buffer, steps: ApplySteps): Promise<void> {
  const { info } = scope;
  const kind = scope.resource.info.kind;
  const apiVersion = fieldManagerRequest(scope, '').apiVersion;
  const manager = scope.query.get('fieldManager');
  if (!manager) {
    throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
  }
  const req = fieldManagerRequest(scope, managerName(scope));
  const force = parseForce(scope.query.get('force'));
  const decoded = decodeBody(body, PATCH_TYPES.apply);
  checkNestingDepth(decoded);
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  const config = decoded as StoredObject;
  if (config.apiVersion !== apiVersion || config.kind !== kind) {
    throw badRequest(`error decoding patch: the apply configuration's apiVersion and kind must be ${apiVersion} and ${kind}, not "${String(config.apiVersion ?? '')}" and "${String(config.kind ?? '')}"`);
  }
  config.metadata ??= {};
  if (config.metadata.name !== undefined && config.metadata.name !== info.name) {
    throw badRequest(`the name of the object (${String(config.metadata.name)}) does not match the name on the URL (${info.name})`);
  }
  if (scope.resource.info.namespaced && config.metadata.namespace !== undefined && config.metadata.namespace !== info.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  scope.warnings.push(...checkUnknownFields(config, apiVersion, kind, parseFieldValidation(scope.query.get('fieldValidation'))));
  const schema = schemaForObject(apiVersion, kind);
  const identify = (obj: StoredObject): StoredObject => {
    obj.apiVersion = apiVersion;
    obj.kind = kind;
    obj.metadata.name = info.name;
    if (scope.resource.info.namespaced) obj.metadata.namespace = info.namespace;
    return obj;
  };
  const subresource = info.subresource === 'status' ? ('status' as const) : undefined;
  try {
    const updated = await scope.registry.update(
      info.namespace || undefined,
      info.name,
      async (current) => {
        const live = served(scope, current);
        const merged = identify(applyConfiguration(live, config, schema, req, force) as StoredObject);
        await steps.admit('UPDATE', merged);
        return toStorageVersion(merged, scope.resource.info);
      },
      { dryRun: steps.dryRun, ...(subresource ? { subresource } : {}) },
    );
    respondObject(scope, served(scope, updated));
  } catch (err) {
    if (!(err instanceof StatusError) || err.status.code !== 404 || err.status.details?.name !== info.name || subresource) throw err;
    // Apply creates what is not there yet.
    const created = identify(applyConfiguration(undefined, config, schema, req, force) as StoredObject);
    await steps.admit('CREATE', created);
    const stored = await scope.registry.create(toStorageVersion(created, scope.resource.info), { dryRun: steps.dryRun });
    respondObject(scope, fromStorageVersion(stored, scope.resource.info), 201);
  }
}

function parseForce(value: string | null): boolean {
  if (value === null || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`force: Invalid value: "${value}": must be true or false`);
}
