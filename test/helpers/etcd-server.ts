import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './tmp.js';

/** A real etcd server (Debian's etcd-server, /usr/bin/etcd) on loopback ports, for tests and benchmarks. */
export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  dataDir: string;
  /** SIGTERM and wait for the exit. The data dir stays (for `restart`); it is removed when the process exits. */
  stop(): Promise<void>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Stops it if it runs, then starts it again on the same ports and data dir and waits until it serves. */
  restart(): Promise<void>;
}

const ETCD = process.env.ETCD_BIN ?? '/usr/bin/etcd';
const START_TIMEOUT_MS = 20_000;

/** Every server this process started, so none outlives it even when a test fails before its teardown. */
const servers = new Set<{ proc?: ChildProcess; dataDir: string }>();
process.once('exit', () => {
  for (const s of servers) {
    s.proc?.kill('SIGKILL');
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

/** Distinct free loopback ports, all held open at once so the kernel cannot hand out the same one twice. */
async function freePorts(n: number): Promise<number[]> {
  const listening = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<Server>((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve(srv));
      }),
    ),
  );
  const ports = listening.map((srv) => (srv.address() as { port: number }).port);
  await Promise.all(listening.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

/** Whether etcd answers its health check (it says true once it has a leader and serves requests). */
function healthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    // No connection pool: the server is about to be killed and restarted under us.
    const req = get(`${endpoint}/health`, { agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** Starts a single-member etcd on free loopback ports (client and peer) in a fresh temp dir; resolves once it serves. */
export async function startEtcd(): Promise<EtcdServer> {
  const dir = await tempDir('k8ts-etcd-');
  const [clientPort, peerPort] = (await freePorts(2)) as [number, number];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  // Unique per server, and the same across restarts: the data dir remembers the member name.
  const name = `k8ts-${process.pid}-${clientPort}`;
  const server: { proc?: ChildProcess; dataDir: string } = { dataDir: dir.path };
  servers.add(server);

  const start = async (): Promise<void> => {
    let log = '';
    const proc = spawn(
      ETCD,
      [
        `--name=${name}`,
        `--data-dir=${dir.path}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=${name}=${peer}`,
        '--initial-cluster-state=new',
        '--logger=zap',
        '--log-outputs=stderr',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    server.proc = proc;
    proc.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await healthy(endpoint))) {
      if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
        await signal('SIGKILL');
        throw new Error(`etcd did not start on ${endpoint} (is Debian's etcd-server installed?): ${log}`);
      }
      await sleep(50);
    }
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const proc = server.proc;
    server.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(sig);
    // A SIGTERM that etcd does not honour in time becomes a SIGKILL: a teardown must never hang.
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    endpoint,
    dataDir: dir.path,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGTERM');
      await start();
    },
  };
}
