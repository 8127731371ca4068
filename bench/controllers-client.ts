/**
 * The client side of `npm run bench -- controllers`, run as its own process: creates D Deployments of R
 * replicas at once and times until every one reports all replicas available, then changes every Deployment's
 * image and times until every rollout is complete, then samples the server's CPU while nothing changes.
 * Prints one JSON report on stdout; progress on stderr.
 *
 *   node dist/bench/controllers-client.js rollout <kubeconfig> <server pid> <deployments> <replicas> <idle seconds>
 *
 * The `steady` mode creates the Deployments the same way, waits until they are available, then samples the
 * CPU and RSS of the controller manager (its own process) and of the server while nothing changes.
 *
 *   node dist/bench/controllers-client.js steady <kubeconfig> <server pid> <deployments> <replicas> <idle seconds> <controller-manager pid>
 */
import { cpuMs, rssMB } from './server.js';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { builtinResource } from '../src/client/resources.js';
import { Client } from '../src/client/client.js';
import { transportFromKubeconfig } from '../src/client/https-transport.js';
import type { KubeObject } from '../src/client/types.js';
import { inParallel } from '../test/helpers/parallel.js';

export interface ControllersReport {
  deployments: number;
  replicas: number;
  availableMs: number;
  rolloutMs: number;
  idleSeconds: number;
  /** Server CPU while idle, in % of one core. */
  idleCpuPercent: number;
}

const [, , mode, kubeconfig, serverPid, dArg, rArg, idleArg, cmPidArg] = process.argv;
const DEPLOYMENTS = Number(dArg);
const REPLICAS = Number(rArg);
const IDLE_SECONDS = Number(idleArg);
const log = (s: string): void => void process.stderr.write(`${s}\n`);

function serverCpuMs(): number {
  return cpuMs(Number(serverPid));
}

function deployment(ns: string, i: number, image: string): Deployment {
  const labels = { app: `d${i}` };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `d${i}`, namespace: ns },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
    },
  };
}

/** Polls the Deployments until `done` holds for all of them; logs progress. */
async function waitAll(list: () => Promise<Deployment[]>, done: (d: Deployment) => boolean, what: string): Promise<void> {
  let last = -1;
  for (;;) {
    const items = await list();
    const n = items.filter(done).length;
    if (n !== last) log(`${n}/${DEPLOYMENTS} deployments ${what}`);
    last = n;
    if (n === DEPLOYMENTS) return;
    await sleep(250);
  }
}

const complete = (d: Deployment): boolean =>
  (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
  d.status?.updatedReplicas === REPLICAS &&
  d.status?.availableReplicas === REPLICAS &&
  d.status?.replicas === REPLICAS;

/** Creates the Deployments in a new namespace (16 at a time) and waits until all are available. */
async function createAvailable(client: Client): Promise<{ deployments: ReturnType<typeof deploymentsIn>; list: () => Promise<Deployment[]>; availableMs: number }> {
  const ns = `ctrl-bench-${Date.now()}`;
  await client.resource(builtinResource('', 'v1', 'namespaces')).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } as KubeObject);
  const deployments = deploymentsIn(client, ns);
  const list = async (): Promise<Deployment[]> => (await deployments.list()).items;
  const t0 = performance.now();
  await inParallel(DEPLOYMENTS, 16, async (i) => {
    await deployments.create(deployment(ns, i, 'registry.local/app:1') as Deployment & KubeObject);
  });
  await waitAll(list, complete, 'available');
  return { deployments, list, availableMs: performance.now() - t0 };
}

function deploymentsIn(client: Client, ns: string) {
  return client.resource<Deployment & KubeObject>(builtinResource('apps', 'v1', 'deployments')).namespace(ns);
}

async function rollout(): Promise<ControllersReport> {
  const client = new Client(transportFromKubeconfig(kubeconfig!, { maxSockets: 32 }));
  const { deployments, list, availableMs } = await createAvailable(client);
  const t1 = performance.now();
  await inParallel(DEPLOYMENTS, 16, async (i) => {
    await deployments.patch(`d${i}`, 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', image: 'registry.local/app:2' }] } } } });
  });
  await waitAll(list, complete, 'rolled out');
  const rolloutMs = performance.now() - t1;
  // Let the last status writes and events settle, then measure a quiet cluster.
  await sleep(5000);
  const cpu0 = serverCpuMs();
  await sleep(IDLE_SECONDS * 1000);
  const idleCpuPercent = ((serverCpuMs() - cpu0) / (IDLE_SECONDS * 1000)) * 100;
  client.close();
  return { deployments: DEPLOYMENTS, replicas: REPLICAS, availableMs, rolloutMs, idleSeconds: IDLE_SECONDS, idleCpuPercent };
}

export interface SteadyReport {
  deployments: number;
  replicas: number;
  availableMs: number;
  idleSeconds: number;
  /** CPU while idle, in % of one core, and RSS (MB), of the controller manager and of the server. */
  controllerManagerCpuPercent: number;
  controllerManagerRssMB: number;
  serverCpuPercent: number;
  serverRssMB: number;
}

async function steady(): Promise<SteadyReport> {
  const cmPid = Number(cmPidArg);
  const client = new Client(transportFromKubeconfig(kubeconfig!, { maxSockets: 32 }));
  const { availableMs } = await createAvailable(client);
  log(`all available after ${(availableMs / 1000).toFixed(1)} s; letting the last writes settle`);
  await sleep(15_000);
  const cm0 = cpuMs(cmPid);
  const server0 = serverCpuMs();
  await sleep(IDLE_SECONDS * 1000);
  const percent = (ms: number): number => (ms / (IDLE_SECONDS * 1000)) * 100;
  const report: SteadyReport = {
    deployments: DEPLOYMENTS,
    replicas: REPLICAS,
    availableMs,
    idleSeconds: IDLE_SECONDS,
    controllerManagerCpuPercent: percent(cpuMs(cmPid) - cm0),
    controllerManagerRssMB: rssMB(cmPid),
    serverCpuPercent: percent(serverCpuMs() - server0),
    serverRssMB: rssMB(Number(serverPid)),
  };
  client.close();
  return report;
}

if (mode === 'rollout') process.stdout.write(JSON.stringify(await rollout()));
else if (mode === 'steady') process.stdout.write(JSON.stringify(await steady()));
else {
  log(`unknown mode ${mode}`);
  process.exit(2);
}
process.exit(0);
