/**
 * The writing verbs: create, update, patch, delete and deletecollection, for resources and their `status`
 * and `scale` subresources. Each decodes and checks the body against the URL, runs admission, converts to
 * the storage version and hands the object to the generic registry.
 */
import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import { schemaForObject } from '../../api/openapi/schema.js';
import { apiVersionOf } from '../../api/registry.js';
import { applyJSONPatch, applyMergePatch, applyStrategicMergePatch } from '../../apimachinery/patch.js';
import { badRequest, invalid, methodNotSupported, unsupportedMediaType } from '../../apimachinery/status.js';
import type { AdmissionChain } from '../admission/admission.js';
import { checkFieldTypes } from '../field-types.js';
import { checkUnknownFields, parseFieldValidation } from '../field-validation.js';
import { checkNestingDepth, decodeBody, mediaType, PATCH_TYPES, readBody } from '../http.js';
import { toStorageVersion } from '../registry/conversion.js';
import type { StoredObject } from '../registry/strategy.js';
import { serverSideApply, trackUpdates } from './apply.js';
import { updateScale } from './scale.js';
import { parseListOptions, respondObject, served, type RequestScope } from './scope.js';

export interface WriteContext {
  admission: AdmissionChain;
}

/** `dryRun=All` (the only value Kubernetes accepts). */
export function parseDryRun(scope: RequestScope): boolean {
  const values = scope.query.getAll('dryRun');
  if (values.length === 0) return false;
  for (const v of values) {
    if (v !== 'All') {
      throw invalid('CreateOptions', 'meta.k8s.io', '', [
        { reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: "${v}": supported values: "All"` },
      ]);
    }
  }
  return true;
}

/** Reads the body as an object of the URL's kind, checked against the URL (kind, apiVersion, namespace). */
async function decodeObject(scope: RequestScope, expectedKind: string, expectedAPIVersion: string): Promise<StoredObject> {
  const body = await readBody(scope.req);
  const decoded = decodeBody(body, scope.req.headers['content-type']);
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw badRequest(`the object provided is unrecognized (must be of type ${expectedKind})`);
  }
  const obj = decoded as StoredObject;
  if (obj.kind === undefined || obj.kind === '') obj.kind = expectedKind;
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = expectedAPIVersion;
  if (typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') {
    throw badRequest(`the object provided is unrecognized (must be of type ${expectedKind})`);
  }
  if (obj.apiVersion !== expectedAPIVersion) {
    throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectedAPIVersion})`);
  }
  if (obj.kind !== expectedKind) {
    throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${expectedKind})`);
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw badRequest('metadata: must be an object');
  checkFieldTypes(obj, expectedKind, expectedAPIVersion);
  scope.warnings.push(...checkUnknownFields(obj, expectedAPIVersion, expectedKind, parseFieldValidation(scope.query.get('fieldValidation'))));
  const ns = scope.info.namespace;
  if (scope.resource.info.namespaced) {
    if (!obj.metadata.namespace) obj.metadata.namespace = ns;
    else if (obj.metadata.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
  }
  return obj;
}

/** Runs admission for this request's resource. */
function admit(
  scope: RequestScope,
  ctx: WriteContext,
  operation: 'CREATE' | 'UPDATE' | 'DELETE',
  name: string,
  object: StoredObject | undefined,
  dryRun: boolean,
): Promise<void> {
  const { info } = scope;
  return ctx.admission.run({
    operation,
    resource: scope.resource.info,
    subresource: info.subresource,
    namespace: info.namespace,
    name,
    ...(object ? { object } : {}),
    user: scope.user,
    dryRun,
  });
}

function expectedAPIVersion(scope: RequestScope): string {
  return apiVersionOf(scope.resource.info);
}

export async function createObject(scope: RequestScope, ctx: WriteContext): Promise<void> {
  const { info } = scope;
  // POST names no object: the name comes from the body (kube has no create route for /<resource>/<name>).
  if (info.subresource || info.name) throw methodNotSupported(scope.registry.gr, 'create');
  const dryRun = parseDryRun(scope);
  const obj = await decodeObject(scope, scope.resource.info.kind, expectedAPIVersion(scope));
  await admit(scope, ctx, 'CREATE', obj.metadata.name ?? '', obj, dryRun);
  const created = await scope.registry.create(toStorageVersion(obj, scope.resource.info), { dryRun, ...trackUpdates(scope) });
  respondObject(scope, served(scope, created), 201);
}

export async function updateObject(scope: RequestScope, ctx: WriteContext): Promise<void> {
  const { info } = scope;
  const dryRun = parseDryRun(scope);
  if (info.subresource === 'scale') {
    const scale = await decodeObject(scope, 'Scale', 'autoscaling/v1');
    respondObject(scope, await updateScale(scope, () => scale, dryRun));
    return;
  }
  const obj = await decodeObject(scope, scope.resource.info.kind, expectedAPIVersion(scope));
  if (obj.metadata.name !== info.name) {
    throw badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${info.name})`);
  }
  const subresource = info.subresource === 'status' || info.subresource === 'finalize' ? info.subresource : undefined;
  await admit(scope, ctx, 'UPDATE', info.name, obj, dryRun);
  const creates = scope.registry.resource.strategy.allowCreateOnUpdate === true && (await scope.registry.find(info.namespace || undefined, info.name)) === undefined;
  const updated = await scope.registry.update(info.namespace || undefined, info.name, toStorageVersion(obj, scope.resource.info), {
    dryRun,
    ...(subresource ? { subresource } : {}),
    ...trackUpdates(scope),
  });
  respondObject(scope, served(scope, updated), creates ? 201 : 200);
}

/** Applies a patch body of the request's patch type to `current`. */
function applyPatch(contentType: string, current: StoredObject, patch: unknown): StoredObject {
  let result: unknown;
  if (contentType === PATCH_TYPES.json) result = applyJSONPatch(current, patch);
  else if (contentType === PATCH_TYPES.merge) result = applyMergePatch(current, patch);
  else {
    result = applyStrategicMergePatch(current, patch, schemaForObject(String(current.apiVersion), String(current.kind)));
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw badRequest('the patch must leave an object');
  // Each level is within the limit, but a patch can graft a deep value under a deep field.
  checkNestingDepth(result);
  const obj = result as StoredObject;
  checkFieldTypes(obj, String(current.kind), String(current.apiVersion));
  if (typeof obj.metadata !== 'object' || obj.metadata === null) obj.metadata = {};
  return obj;
}

export async function patchObject(scope: RequestScope, ctx: WriteContext): Promise<void> {
  const { info } = scope;
  const dryRun = parseDryRun(scope);
  const contentType = mediaType(scope.req.headers['content-type']);
  const accepted = [PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.strategic, PATCH_TYPES.apply];
  if (!(accepted as string[]).includes(contentType)) throw unsupportedMediaType(contentType, accepted);
  const body = await readBody(scope.req);
  if (contentType === PATCH_TYPES.apply && info.subresource !== 'scale') {
    await serverSideApply(scope, body, { dryRun, admit: (operation, obj) => admit(scope, ctx, operation, info.name, obj, dryRun) });
    return;
  }
  if (scope.query.has('force') && contentType !== PATCH_TYPES.apply) {
    throw invalid('PatchOptions', 'meta.k8s.io', '', [{ reason: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' }]);
  }
  let patch: unknown;
  try {
    patch = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  checkNestingDepth(patch);
  if (contentType !== PATCH_TYPES.json && (typeof patch !== 'object' || patch === null || Array.isArray(patch))) {
    throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  }
  if (info.subresource === 'scale') {
    respondObject(scope, await updateScale(scope, (current) => applyPatch(contentType, current, patch), dryRun));
    return;
  }
  const subresource = info.subresource === 'status' ? 'status' : undefined;
  const fieldValidation = parseFieldValidation(scope.query.get('fieldValidation'));
  // Warnings of the attempt that was written: a retried attempt's are replaced, not added to.
  let unknownFieldWarnings: string[] = [];
  const updated = await scope.registry.update(
    info.namespace || undefined,
    info.name,
    async (current) => {
      const before = served(scope, current);
      const after = applyPatch(contentType, before, patch);
      if (after.metadata.name !== undefined && after.metadata.name !== info.name) {
        throw badRequest(`the name of the object (${after.metadata.name}) does not match the name on the URL (${info.name})`);
      }
      after.metadata.name = info.name;
      if (scope.resource.info.namespaced) after.metadata.namespace = info.namespace;
      after.kind = scope.resource.info.kind;
      after.apiVersion = expectedAPIVersion(scope);
      // A patch carries the resourceVersion precondition only when it sets one explicitly.
      const patchMeta = (patch as { metadata?: { resourceVersion?: string } } | undefined)?.metadata;
      if (contentType !== PATCH_TYPES.json && patchMeta?.resourceVersion === undefined) after.metadata.resourceVersion = before.metadata.resourceVersion;
      unknownFieldWarnings = checkUnknownFields(after, expectedAPIVersion(scope), scope.resource.info.kind, fieldValidation);
      await admit(scope, ctx, 'UPDATE', info.name, after, dryRun);
      return toStorageVersion(after, scope.resource.info);
    },
    { dryRun, ...(subresource ? { subresource } : {}), ...trackUpdates(scope) },
  );
  scope.warnings.push(...unknownFieldWarnings);
  respondObject(scope, served(scope, updated));
}

/** DeleteOptions from the body (kubectl sends one) and the query. */
async function deleteOptions(scope: RequestScope): Promise<DeleteOptions> {
  const body = await readBody(scope.req);
  let opts: DeleteOptions = {};
  if (body.length > 0) {
    const decoded = decodeBody(body, scope.req.headers['content-type']);
    if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw badRequest('the body must be a DeleteOptions object');
    opts = decoded as DeleteOptions;
  }
  const q = scope.query;
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null && grace !== '') {
    if (!/^-?\d+$/.test(grace)) throw badRequest(`gracePeriodSeconds: Invalid value: "${grace}": must be an integer`);
    opts.gracePeriodSeconds = Number(grace);
  }
  const policy = q.get('propagationPolicy');
  if (policy) opts.propagationPolicy = policy;
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw invalid('DeleteOptions', 'meta.k8s.io', '', [
      { reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"` },
    ]);
  }
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 1;
  return opts;
}

export async function deleteObject(scope: RequestScope, ctx: WriteContext): Promise<void> {
  const { info } = scope;
  if (info.subresource) throw methodNotSupported(scope.registry.gr, 'delete');
  const opts = await deleteOptions(scope);
  const dryRun = parseDryRun(scope) || (opts.dryRun ?? []).includes('All');
  await admit(scope, ctx, 'DELETE', info.name, undefined, dryRun);
  const { object, deleted } = await scope.registry.delete(info.namespace || undefined, info.name, opts, dryRun);
  respondObject(scope, served(scope, object), deleted ? 200 : 202);
}

export async function deleteCollection(scope: RequestScope, ctx: WriteContext): Promise<void> {
  const { info } = scope;
  const dryRun = parseDryRun(scope);
  const opts = await deleteOptions(scope);
  const listOpts = parseListOptions(scope);
  await admit(scope, ctx, 'DELETE', '', undefined, dryRun);
  const { revision, items } = await scope.registry.deleteCollection(listOpts, opts, dryRun || (opts.dryRun ?? []).includes('All'));
  scope.code = 200;
  respondObject(scope, {
    kind: `${scope.resource.info.kind}List`,
    apiVersion: expectedAPIVersion(scope),
    metadata: { resourceVersion: String(revision) },
    items: items.map((o) => served(scope, o)),
  });
}

