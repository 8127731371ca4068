/**
 * What a request is about, read from its path and method the way kube-apiserver's RequestInfoFactory reads
 * it: `/api/v1/namespaces/default/pods/web/status` is a `get` of the `status` subresource of pod `web`.
 */

export type RequestVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  isResourceRequest: true;
  verb: RequestVerb;
  /** `api` or `apis`. */
  apiPrefix: string;
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
}

export interface NonResourceRequest {
  isResourceRequest: false;
  path: string;
  verb: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

/** `namespaces/<name>/<x>` is a subresource of the namespace for these, a resource inside it otherwise. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function requestInfo(method: string, pathname: string, query: URLSearchParams): RequestInfo {
  const parts = pathname.split('/').filter((p) => p.length > 0).map(safeDecode);
  const nonResource: NonResourceRequest = { isResourceRequest: false, path: pathname, verb: method.toLowerCase() };
  let i = 0;
  const apiPrefix = parts[i++];
  let group = '';
  if (apiPrefix === 'apis') {
    group = parts[i++] ?? '';
  } else if (apiPrefix !== 'api') {
    return nonResource;
  }
  const version = parts[i++];
  if (!version || (apiPrefix === 'apis' && !group)) return nonResource;
  let rest = parts.slice(i);
  if (rest.length === 0) return nonResource;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  // A proxy subresource carries the path to proxy after it (`nodes/n1/proxy/healthz`).
  if ((rest.length > 3 && subresource !== 'proxy') || !resource) return nonResource;
  // A /watch/ path is a watch whatever the method, as in kube (which then refuses all but GET).
  const verb = watchPath ? 'watch' : verbFor(method, name, isTrue(query.get('watch')));
  if (!verb) return nonResource;
  return { isResourceRequest: true, verb, apiPrefix, group, version, namespace, resource, name, subresource };
}

function verbFor(method: string, name: string, watch: boolean): RequestVerb | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return 'watch';
      return name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return undefined;
  }
}

/** Kubernetes' boolean query parameters: `true`/`1` (and any other non-false value) are true. */
export function isTrue(value: string | null): boolean {
  return value !== null && value !== '' && value !== 'false' && value !== '0';
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
