/**
 * The official JavaScript client (@kubernetes/client-node) pointed at a test cluster, and the few helpers
 * tests need around it: the Status behind a failed call, and a free port for a cluster that must keep its URL
 * across restarts.
 */
import { createServer } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import type { Status } from 'kubernetes-types/meta/v1.js';

export interface Client {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
}

/** A client-node KubeConfig and CoreV1Api from a kubeconfig file (the cluster's admin.kubeconfig). */
export function clientFor(kubeconfig: string): Client {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api) };
}

/** How a client-node call failed: its HTTP code and the Status the server answered with. */
export interface CallFailure {
  code: number;
  status: Status;
}

/** Awaits `call`, which must fail with an ApiException; resolves to its code and parsed Status body. */
export async function failureOf(call: Promise<unknown>): Promise<CallFailure> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof k8s.ApiException)) throw err;
    const body: unknown = err.body;
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as Status;
    return { code: err.code, status };
  }
  throw new Error('the call succeeded; it was expected to fail');
}

/** A loopback port nobody listens on right now (bound and released), for `k8ts up --port`. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` every 50 ms until it returns true; fails with `describe()` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, describe: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One line of a watch stream as client-node hands it over. */
export interface WatchEvent {
  type: string;
  object: k8s.KubernetesObject & { code?: number; reason?: string };
}

/** A running client-node watch that records its events. */
export interface RecordedWatch {
  events: WatchEvent[];
  /** Resolves with what client-node passed to `done` (null: the server ended the stream). */
  done: Promise<unknown>;
  /** Resolves once `n` events have arrived. */
  received(n: number): Promise<void>;
  abort(): void;
}

export async function recordWatch(kc: k8s.KubeConfig, path: string, params: Record<string, string | number | boolean | undefined>): Promise<RecordedWatch> {
  const events: WatchEvent[] = [];
  let finished: (err: unknown) => void = () => undefined;
  const done = new Promise<unknown>((resolve) => (finished = resolve));
  const controller = await new k8s.Watch(kc).watch(path, params, (type, object) => events.push({ type, object }), (err) => finished(err));
  return {
    events,
    done,
    received: (n) => eventually(() => events.length >= n, () => `${events.length} of ${n} watch events: ${JSON.stringify(events.map((e) => e.type))}`),
    abort: () => controller.abort(),
  };
}
