/**
 * The API client (client-go's dynamic client): every verb of every resource, addressed by a ResourceRef
 * (a registry ResourceInfo, or group/version/resource + scope), over any Transport. Failures are APIErrors
 * carrying the server's Status.
 */
import { K8TS_VERSION } from '../version.js';
import type { IncomingMessage } from 'node:http';
import { APIError, statusFromBody } from './errors.js';
import type { Transport } from './transport.js';
import {
  PATCH_CONTENT_TYPES,
  type DeleteOptions,
  type KubeObject,
  type ListOptions,
  type ObjectList,
  type PatchType,
  type ResourceRef,
  type Status,
  type WatchOptions,
  type WriteOptions,
} from './types.js';
import { Watch } from './watch.js';

/** Requests that are not watches give up after this long without a complete answer. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** `/api/v1` or `/apis/apps/v1`. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function readAll(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function writeQuery(opts: WriteOptions = {}): Record<string, string | undefined> {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation };
}

export class Client {
  /**
   * `userAgent` names the component (`kube-scheduler/v1.32.0 ...`): the apiserver takes a write's default
   * field manager from it, up to the first `/`, as kube does.
   */
  constructor(
    readonly transport: Transport,
    readonly userAgent = `k8ts/${K8TS_VERSION}`,
  ) {}

  /** Verbs of one resource, across namespaces (list/watch) until narrowed with `namespace(ns)`. */
  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    return new ResourceClient<T>(this, ref, undefined);
  }

  /**
   * A raw request answered with parsed JSON; a non-2xx answer rejects with its Status. The request is
   * aborted when the whole answer has not come within `timeoutMs`.
   */
  async requestJSON<R>(method: string, path: string, body?: unknown, contentType = 'application/json', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<R> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`${method} ${path}: no complete answer in ${timeoutMs} ms`)), timeoutMs);
    try {
      const res = await this.transport.request({
        method,
        path,
        headers: { Accept: 'application/json', 'User-Agent': this.userAgent, ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
        ...(body !== undefined ? { body: Buffer.from(JSON.stringify(body), 'utf8') } : {}),
        signal: abort.signal,
      });
      const text = await readAll(res.body);
      if (res.status < 200 || res.status > 299) throw new APIError(statusFromBody(res.status, text));
      return JSON.parse(text) as R;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A streaming request (watch): resolves once the answer's headers are in. */
  async stream(path: string): Promise<IncomingMessage> {
    const res = await this.transport.request({ method: 'GET', path, headers: { Accept: 'application/json', 'User-Agent': this.userAgent } });
    if (res.status < 200 || res.status > 299) throw new APIError(statusFromBody(res.status, await readAll(res.body)));
    return res.body;
  }

  close(): void {
    this.transport.close();
  }
}

/** The verbs of one resource, in one namespace or across all of them. */
export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(
    readonly client: Client,
    readonly ref: ResourceRef,
    readonly namespaceName: string | undefined,
  ) {}

  /** The same resource in namespace `ns` (ignored for cluster-scoped resources). */
  namespace(ns: string): ResourceClient<T> {
    return new ResourceClient<T>(this.client, this.ref, this.ref.namespaced ? ns : undefined);
  }

  /** The collection's path: `/api/v1/namespaces/a/pods`, `/api/v1/pods`, `/api/v1/nodes`. */
  path(name?: string, subresource?: string): string {
    let p = groupVersionPath(this.ref.group, this.ref.version);
    if (this.ref.namespaced && this.namespaceName) p += `/namespaces/${encodeURIComponent(this.namespaceName)}`;
    p += `/${this.ref.resource}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  private named(obj: KubeObject, ns?: string): ResourceClient<T> {
    const namespace = ns ?? obj.metadata.namespace ?? this.namespaceName;
    return namespace && this.ref.namespaced ? this.namespace(namespace) : this;
  }

  get(name: string, opts: { resourceVersion?: string } = {}): Promise<T> {
    return this.client.requestJSON<T>('GET', this.path(name) + query({ resourceVersion: opts.resourceVersion }));
  }

  /** One page (or all, without `limit`); `metadata.continue` asks for the next. */
  list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { timeoutMs, ...params } = opts;
    return this.client.requestJSON<ObjectList<T>>('GET', this.path() + query({ ...params }), undefined, undefined, timeoutMs);
  }

  /** Every page of a list, joined, with the first page's resourceVersion. */
  async listAll(opts: Omit<ListOptions, 'continue'> & { pageSize?: number } = {}): Promise<ObjectList<T>> {
    const { pageSize, ...rest } = opts;
    let page = await this.list({ ...rest, limit: pageSize ?? 500 });
    const items = [...page.items];
    const first = page.metadata;
    while (page.metadata.continue) {
      page = await this.list({ labelSelector: rest.labelSelector, fieldSelector: rest.fieldSelector, limit: pageSize ?? 500, continue: page.metadata.continue });
      items.push(...page.items);
    }
    return { ...page, metadata: { resourceVersion: first.resourceVersion }, items };
  }

  /** Watches from `resourceVersion` (bookmarks on unless turned off). */
  async watch(opts: WatchOptions = {}): Promise<Watch<T>> {
    const q = query({
      watch: 'true',
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: opts.allowWatchBookmarks ?? true,
      timeoutSeconds: opts.timeoutSeconds,
    });
    return new Watch<T>(await this.client.stream(this.path() + q));
  }

  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.client.requestJSON<T>('POST', this.named(obj).path() + query(writeQuery(opts)), this.withKind(obj));
  }

  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.updateSubresource(obj, undefined, opts);
  }

  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.updateSubresource(obj, 'status', opts);
  }

  /** PUT to a subresource (`status`, a namespace's `finalize`); without one, the object itself. */
  updateSubresource(obj: T, subresource: string | undefined, opts: WriteOptions = {}): Promise<T> {
    const name = obj.metadata.name ?? '';
    return this.client.requestJSON<T>('PUT', this.named(obj).path(name, subresource) + query(writeQuery(opts)), this.withKind(obj));
  }

  patch(name: string, type: PatchType, patch: unknown, opts: WriteOptions & { subresource?: string } = {}): Promise<T> {
    return this.client.requestJSON<T>('PATCH', this.path(name, opts.subresource) + query(writeQuery(opts)), patch, PATCH_CONTENT_TYPES[type]);
  }

  /** Deletes (or marks for deletion) one object; answers with the object, or a Status for some kinds. */
  delete(name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.client.requestJSON<T | Status>('DELETE', this.path(name), { kind: 'DeleteOptions', apiVersion: 'v1', ...opts });
  }

  /** Deletes everything a list with `listOpts` would return in this namespace. */
  deleteCollection(listOpts: Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}, opts: DeleteOptions = {}): Promise<ObjectList<T>> {
    const q = query({ labelSelector: listOpts.labelSelector, fieldSelector: listOpts.fieldSelector });
    return this.client.requestJSON<ObjectList<T>>('DELETE', this.path() + q, { kind: 'DeleteOptions', apiVersion: 'v1', ...opts });
  }

  private withKind(obj: T): T {
    if (obj.kind && obj.apiVersion) return obj;
    const apiVersion = this.ref.group ? `${this.ref.group}/${this.ref.version}` : this.ref.version;
    return { ...obj, apiVersion: obj.apiVersion ?? apiVersion, ...(this.ref.kind && !obj.kind ? { kind: this.ref.kind } : {}) };
  }
}
