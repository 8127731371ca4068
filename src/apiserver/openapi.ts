/**
 * OpenAPI v3 documents (/openapi/v3 and one per group/version). Today they describe the operations of each
 * resource — enough for kubectl to see that the server validates fields itself (`fieldValidation` on PATCH)
 * and so use server-side validation. Full type schemas come with the built-in types' OpenAPI.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceInfo, type ResourceRegistry } from '../api/registry.js';

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'];

function operation(info: ResourceInfo, action: string, params: string[]): object {
  return {
    operationId: `${action}${info.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: info.group, version: info.version, kind: info.kind },
    parameters: params.map((name) => ({ name, in: 'query', schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true } })),
    responses: { '200': { description: 'OK' } },
  };
}

export class OpenAPI {
  private readonly documents = new Map<string, string>();

  constructor(registry: ResourceRegistry) {
    const root: Record<string, { serverRelativeURL: string }> = {};
    for (const { group, versions } of registry.groups()) {
      for (const version of versions) {
        const gvPath = group ? `apis/${group}/${version}` : `api/${version}`;
        const paths: Record<string, object> = {};
        for (const info of registry.resources(group, version)) {
          const base = `/${gvPath}${info.namespaced ? '/namespaces/{namespace}' : ''}/${info.resource}`;
          paths[base] = { get: operation(info, 'list', []), post: operation(info, 'post', QUERY_PARAMS.filter((p) => p !== 'force')) };
          paths[`${base}/{name}`] = {
            get: operation(info, 'get', []),
            put: operation(info, 'put', QUERY_PARAMS.filter((p) => p !== 'force')),
            patch: operation(info, 'patch', QUERY_PARAMS),
            delete: operation(info, 'delete', ['dryRun']),
          };
        }
        const doc = JSON.stringify({
          openapi: '3.0.0',
          info: { title: 'Kubernetes', version: `k8ts ${apiVersionOf({ group, version })}` },
          paths,
          components: { schemas: {} },
        });
        const hash = createHash('sha512').update(doc).digest('hex').slice(0, 128).toUpperCase();
        this.documents.set(`/openapi/v3/${gvPath}`, doc);
        root[gvPath] = { serverRelativeURL: `/openapi/v3/${gvPath}?hash=${hash}` };
      }
    }
    this.documents.set('/openapi/v3', JSON.stringify({ paths: root }));
  }

  /** The document at `path` (query string ignored), or undefined. */
  document(path: string): string | undefined {
    return this.documents.get(path.endsWith('/') ? path.slice(0, -1) : path);
  }
}
