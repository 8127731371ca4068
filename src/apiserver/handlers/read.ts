/** GET of one object and LIST, served from the watch cache (or storage for exact-revision and paged reads). */
import { badRequest } from '../../apimachinery/status.js';
import type { StoredObject } from '../registry/strategy.js';
import { parseListOptions, respondList, respondObject, served, servedJSON, type RequestScope } from './scope.js';

export async function getObject(scope: RequestScope): Promise<void> {
  const { info, registry } = scope;
  const rv = scope.query.get('resourceVersion');
  if (rv !== null && rv !== '' && rv !== '0' && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version: "${rv}"`);
  const cached = await registry.get(info.namespace || undefined, info.name);
  if (scope.resource.info.storage || scope.accept.table) {
    respondObject(scope, served(scope, JSON.parse(cached.json) as StoredObject));
    return;
  }
  respondObject(scope, undefined, 200, servedJSON(scope, cached));
}

export async function listObjects(scope: RequestScope): Promise<void> {
  const opts = parseListOptions(scope);
  const result = await scope.registry.list(opts);
  const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: String(result.revision) };
  if (result.continue) meta.continue = result.continue;
  if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
  await respondList(scope, result.items, meta);
}
