/**
 * WATCH, served from the watch cache: initial state when asked (resourceVersion "" / "0" or
 * sendInitialEvents), then every change in order, filtered by the selectors, with bookmarks and a timeout
 * as in Kubernetes. A watch that asks for history the cache no longer holds gets an ERROR event with a 410.
 */
import type { ServerResponse } from 'node:http';
import { apiVersionOf } from '../../api/registry.js';
import { badRequest, invalid, tooOldResourceVersion } from '../../apimachinery/status.js';
import type { CachedObject, CacheEvent } from '../../storage/cacher/cacher.js';
import { isTrue } from '../request-info.js';
import { matchesSelectors, parseResourceVersion } from '../registry/generic.js';
import type { StoredObject } from '../registry/strategy.js';
import { parseIncludeObject, partialObjectMetadata, toTable } from '../table.js';
import { parseListOptions, served, servedJSON, type RequestScope } from './scope.js';

/** How often a watch that allows bookmarks gets one (kube-apiserver sends them about once a minute). */
const BOOKMARK_INTERVAL_MS = 60_000;
/** A watcher whose socket holds more than this unsent is dropped; the client re-watches from its last event. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
/** kube-apiserver's --min-request-timeout: watches without timeoutSeconds end between 1x and 2x this. */
const MIN_REQUEST_TIMEOUT_S = 1800;

/** The open watch streams, so shutdown can close them. */
export const openWatches = new Set<ServerResponse>();

export async function watchObjects(scope: RequestScope): Promise<void> {
  const { query, registry, res } = scope;
  const opts = parseListOptions(scope);
  const rv = opts.resourceVersion ?? '';
  const match = opts.resourceVersionMatch ?? '';
  const allowBookmarks = isTrue(query.get('allowWatchBookmarks'));
  const sendInitialParam = query.get('sendInitialEvents');
  const sendInitialEvents = sendInitialParam === null ? undefined : isTrue(sendInitialParam);
  if (sendInitialEvents !== undefined) {
    if (match !== 'NotOlderThan') {
      throw invalid('ListOptions', 'meta.k8s.io', '', [
        { reason: 'FieldValueForbidden', field: 'sendInitialEvents', message: "Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to 'NotOlderThan'" },
      ]);
    }
    if (sendInitialEvents && !allowBookmarks) {
      throw invalid('ListOptions', 'meta.k8s.io', '', [
        { reason: 'FieldValueForbidden', field: 'allowWatchBookmarks', message: 'Forbidden: allowWatchBookmarks must be set to true when sendInitialEvents is set to true' },
      ]);
    }
  } else if (match) {
    throw invalid('ListOptions', 'meta.k8s.io', '', [
      { reason: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' },
    ]);
  }
  const timeoutText = query.get('timeoutSeconds');
  let timeoutS = MIN_REQUEST_TIMEOUT_S * (1 + Math.random());
  if (timeoutText !== null && timeoutText !== '') {
    if (!/^\d+$/.test(timeoutText)) throw badRequest(`timeoutSeconds: Invalid value: "${timeoutText}": must be a non-negative integer`);
    timeoutS = Number(timeoutText);
  }
  const include = scope.accept.table ? parseIncludeObject(query.get('includeObject')) : 'Metadata';
  if (!include) throw badRequest(`includeObject: Unsupported value: "${query.get('includeObject')}"`);

  // Initial events: with sendInitialEvents, or by default when no resourceVersion (or "0") is given.
  const initial = sendInitialEvents ?? (rv === '' || rv === '0');
  const revision = rv === '' ? undefined : parseResourceVersion(rv);
  if (revision === undefined) {
    if (initial) await registry.waitFresh();
  } else if (revision > 0) {
    await registry.waitForRevision(revision);
  }

  // From the watch cache, nothing awaits from here to attach: the snapshot and the live feed join without a gap.
  const prefix = registry.listPrefix(opts.namespace);
  const matches = (o: CachedObject): boolean => o.key.startsWith(prefix) && matchesSelectors(o, opts.labelSelector, opts.fieldSelector);
  const startRevision = revisionNow(scope);
  const pending = registry.watchSource(prefix, { initial, ...(revision !== undefined ? { revision } : {}) }, matches);
  const source = pending instanceof Promise ? await pending : pending;
  const { backlog, tooOld } = source;

  const kind = scope.resource.info.kind;
  const apiVersion = apiVersionOf(scope.resource.info);
  let headersSent = false;
  const line = (type: string, json: string): string => `{"type":"${type}","object":${json}}\n`;
  const objectJSON = (o: CachedObject): string => {
    if (scope.accept.partialMetadata) return JSON.stringify(partialObjectMetadata(JSON.parse(o.json) as StoredObject));
    if (!scope.accept.table) return servedJSON(scope, o);
    const table = toTable([served(scope, JSON.parse(o.json) as StoredObject)], { include, noHeaders: headersSent, convertor: scope.registry.resource.strategy.table });
    headersSent = true;
    return JSON.stringify(table);
  };
  let closed = false;
  let lastRevision = startRevision;
  const send = (chunk: string): boolean => {
    if (closed) return false;
    res.write(chunk);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      finish();
      return false;
    }
    return true;
  };
  const deliver = (ev: CacheEvent): boolean => {
    const isMatch = matches(ev.object);
    const wasMatch = ev.prev !== undefined && matches(ev.prev);
    let type: string | undefined;
    if (ev.type === 'ADDED') type = isMatch ? 'ADDED' : undefined;
    else if (ev.type === 'DELETED') type = isMatch || wasMatch ? 'DELETED' : undefined;
    else if (isMatch) type = wasMatch ? 'MODIFIED' : 'ADDED';
    else if (wasMatch) type = 'DELETED';
    lastRevision = Math.max(lastRevision, ev.revision);
    return type === undefined ? !closed : send(line(type, objectJSON(ev.object)));
  };
  const bookmark = (annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(Math.max(lastRevision, revisionNow(scope))) };
    if (annotations) metadata.annotations = annotations;
    send(line('BOOKMARK', JSON.stringify({ kind, apiVersion, metadata })));
  };

  let detach: () => void = () => undefined;
  const timers: NodeJS.Timeout[] = [];
  function finish(): void {
    if (closed) return;
    closed = true;
    detach();
    for (const t of timers) clearTimeout(t);
    openWatches.delete(res);
    res.end();
  }

  scope.code = 200;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  // Send the headers now: a client waits for them before it reads events, and a quiet watch may write none for long.
  res.flushHeaders();
  openWatches.add(res);
  res.on('close', finish);
  if (tooOld) {
    const status = tooOldResourceVersion(tooOld.requested, tooOld.oldest).status;
    send(line('ERROR', JSON.stringify(status)));
    finish();
    return;
  }
  detach = source.attach({ event: deliver, terminate: finish });
  if (closed) detach();
  for (const ev of backlog) if (!deliver(ev)) return;
  if (initial && sendInitialEvents) bookmark({ 'k8s.io/initial-events-end': 'true' });
  if (allowBookmarks) {
    const tick = (): void => {
      if (closed) return;
      bookmark();
      timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS).unref());
    };
    timers.push(setTimeout(tick, BOOKMARK_INTERVAL_MS).unref());
  }
  timers.push(
    setTimeout(() => {
      if (allowBookmarks) bookmark();
      finish();
    }, timeoutS * 1000).unref(),
  );
}

/** The revision the cache has reached (a bookmark may promise nothing newer). */
function revisionNow(scope: RequestScope): number {
  return scope.registry.cacheRevision;
}

