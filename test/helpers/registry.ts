/**
 * The local image registry tests pull from: Debian's docker-registry on 127.0.0.1:5000, storage under
 * /var/tmp so images built once serve later runs too. Started detached, so it outlives the test process that
 * started it and serves the rest of the run (CI machines are thrown away afterwards).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const REGISTRY_HOST = '127.0.0.1:5000';
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** Where the registry keeps its config, storage and log between runs. */
export const REGISTRY_DIR = '/var/tmp/k8ts-test-registry';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether a Docker registry v2 API answers on `host`. */
export async function registryAnswers(host = REGISTRY_HOST): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}

/** Whether the registry has `name:tag` (a manifest answers to HEAD). */
export async function hasManifest(name: string, tag: string, host = REGISTRY_HOST): Promise<boolean> {
  const res = await fetch(`http://${host}/v2/${name}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept: [
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.v2+json',
      ].join(', '),
    },
    signal: AbortSignal.timeout(5000),
  });
  return res.status === 200;
}

/** Starts docker-registry on 127.0.0.1:5000 unless one already answers there; resolves when it answers. */
export async function ensureRegistry(): Promise<string> {
  if (await registryAnswers()) return REGISTRY_HOST;
  const storage = join(REGISTRY_DIR, 'storage');
  await mkdir(storage, { recursive: true });
  const config = join(REGISTRY_DIR, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${REGISTRY_HOST}`,
      '',
    ].join('\n'),
  );
  const logFd = openSync(join(REGISTRY_DIR, 'registry.log'), 'a');
  try {
    // Detached in its own session, with no pipes back to us: the test process may exit while it keeps serving.
    const child = spawn(REGISTRY_BINARY, ['serve', config], { detached: true, stdio: ['ignore', logFd, logFd] });
    child.unref();
    await writeFile(join(REGISTRY_DIR, 'registry.pid'), `${child.pid}\n`);
  } finally {
    closeSync(logFd);
  }
  for (let i = 0; i < 100; i++) {
    if (await registryAnswers()) return REGISTRY_HOST;
    await sleep(100);
  }
  const tail = (await readFile(join(REGISTRY_DIR, 'registry.log'), 'utf8').catch(() => '')).split('\n').slice(-10).join('\n');
  throw new Error(`docker-registry did not answer on ${REGISTRY_HOST} within 10s:\n${tail}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` holding an exclusive lock file (other processes wait), so test files running in parallel build
 * and push images once. A lock whose holder died is taken over.
 */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  await mkdir(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (holder && !isAlive(holder)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath} (held by pid ${holder})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
