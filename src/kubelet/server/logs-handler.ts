/**
 * `GET /containerLogs/{namespace}/{pod}/{container}`: the container's log as PodLogOptions ask, streamed as
 * `text/plain` (chunked). Errors are worded as the kubelet's (`container "x" in pod "y" is waiting to start:
 * ContainerCreating`) and answered with 400, as the kubelet answers GetKubeletContainerLogs failures.
 */
import type { ServerResponse } from 'node:http';
import { readContainerLogs, type ContainerLogOptions } from '../logs/reader.js';
import { HTTPError } from './errors.js';
import type { KubeletServerHost } from './host.js';

function isTrue(v: string | null): boolean {
  return v !== null && v !== '' && v !== 'false' && v !== '0';
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw new HTTPError(400, `${name}: Invalid value: "${v}": must be an integer`);
  return Number(v);
}

/** PodLogOptions from the query, with sinceSeconds turned into a time. */
export function parseLogOptions(query: URLSearchParams, now = Date.now()): ContainerLogOptions & { previous: boolean } {
  const opts: ContainerLogOptions & { previous: boolean } = {
    follow: isTrue(query.get('follow')),
    previous: isTrue(query.get('previous')),
    timestamps: isTrue(query.get('timestamps')),
  };
  const tail = intParam(query, 'tailLines');
  if (tail !== undefined) opts.tailLines = tail;
  const limit = intParam(query, 'limitBytes');
  if (limit !== undefined) opts.limitBytes = limit;
  const sinceSeconds = intParam(query, 'sinceSeconds');
  if (sinceSeconds !== undefined) opts.sinceTime = new Date(now - sinceSeconds * 1000);
  const sinceTime = query.get('sinceTime');
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new HTTPError(400, `sinceTime: Invalid value: "${sinceTime}": must be RFC3339`);
    opts.sinceTime = new Date(t);
  }
  return opts;
}

/** Which file to read, or the kubelet's error for a container without one. */
export function logPathFor(host: KubeletServerHost, namespace: string, podName: string, container: string, previous: boolean): { path: string; id: string } {
  const pod = host.findPod(namespace, podName);
  if (!pod) throw new HTTPError(404, `pod "${podName}" does not exist`);
  const c = pod.containers[container];
  if (!c) throw new HTTPError(404, `container "${container}" not found in pod "${podName}"`);
  if (previous) {
    if (!c.previousLogPath) throw new HTTPError(400, `previous terminated container "${container}" in pod "${podName}" not found`);
    return { path: c.previousLogPath, id: '' };
  }
  if (!c.logPath || !c.id) {
    // Waiting with an earlier instance: its log is what there is (as the kubelet falls back to lastState).
    if (c.previousLogPath) return { path: c.previousLogPath, id: '' };
    throw new HTTPError(400, `container "${container}" in pod "${podName}" is waiting to start: ${c.waitingReason ?? 'ContainerCreating'}`);
  }
  return { path: c.logPath, id: c.id };
}

export async function serveContainerLogs(host: KubeletServerHost, res: ServerResponse, parts: string[], query: URLSearchParams): Promise<void> {
  const [namespace, podName, container] = parts;
  if (!namespace || !podName || !container) throw new HTTPError(400, 'namespace, pod and container are required: /containerLogs/{namespace}/{pod}/{container}');
  const opts = parseLogOptions(query);
  const { path, id } = logPathFor(host, namespace, podName, container, opts.previous);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const isRunning = async (): Promise<boolean> => {
    if (!id) return false;
    if (host.isContainerRunning) return host.isContainerRunning(namespace, podName, container, id);
    const c = host.findPod(namespace, podName)?.containers[container];
    return !!c && c.id === id && c.running;
  };
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  try {
    await readContainerLogs(
      path,
      { ...opts, follow: opts.follow && !!id },
      {
        write: (chunk) =>
          new Promise<void>((resolve) => {
            if (res.destroyed || res.write(chunk)) resolve();
            else res.once('drain', resolve);
          }),
      },
      { isRunning, signal: abort.signal },
    );
  } catch (err) {
    // Already answering 200: a vanished file (container removed) just ends the stream, as a closed reader.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  res.end();
}
