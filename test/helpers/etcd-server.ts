import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './tmp.js';

/** A real etcd server (Debian's etcd-server, /usr/bin/etcd) for tests and benchmarks. */
export interface EtcdServer {
  /** Client URL, e.g. http://127.0.0.1:40123. */
  endpoint: string;
  dataDir: string;
  /** SIGTERM, then remove the data dir. */
  stop(): Promise<void>;
  /** SIGTERM, keeping the data dir and ports for `start`. */
  shutdown(): Promise<void>;
  /** SIGKILL, keeping the data dir and ports for `start`. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data. */
  start(): Promise<void>;
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts etcd on free loopback ports in a fresh temp dir and waits until it serves. */
export async function startEtcd(binary = process.env.ETCD_BIN ?? '/usr/bin/etcd'): Promise<EtcdServer> {
  const dir = await tempDir('k8ts-etcd-');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const name = `k8ts-test-${clientPort}`;
  const dataDir = join(dir.path, 'data');
  let proc: ChildProcess | undefined;
  let log = '';

  const start = async (): Promise<void> => {
    log = '';
    proc = spawn(
      binary,
      [
        `--name=${name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${name}=${peer}`,
        '--initial-cluster-state=new',
        '--log-level=error',
        '--logger=zap',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    proc.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    const exited = new Promise<void>((resolve) => proc!.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await fetch(`${endpoint}/health`).then((r) => r.ok, () => false);
      if (ok) return;
      if (proc.exitCode !== null || Date.now() > deadline) {
        await Promise.race([exited, sleep(100)]);
        throw new Error(`etcd did not start on ${endpoint} (is Debian's etcd-server installed?): ${log}`);
      }
      await sleep(50);
    }
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(sig);
    await exited;
  };

  await start();
  return {
    endpoint,
    dataDir,
    start,
    shutdown: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGTERM');
      await start();
    },
    stop: async () => {
      await signal('SIGTERM');
      await dir.remove();
    },
  };
}
