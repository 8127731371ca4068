/**
 * The scenario images (shared/scenarios/README.md), built on this machine from Debian's busybox-static with
 * umoci and pushed with skopeo to the local registry on 127.0.0.1:5000. Nothing is fetched from the internet.
 * `ensureTestImages()` is idempotent and cheap once done: it reuses a running registry and skips tags the
 * registry already has. Several test processes may call it at once: a lock file serialises the builds.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureRegistry, hasManifest, registryAnswers, REGISTRY_DIR, REGISTRY_HOST, withLock } from './registry.js';

const run = promisify(execFile);

export const BUSYBOX = '/usr/bin/busybox';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** One test image: extra files on top of busybox, and its default command. */
interface ImageRecipe {
  name: string;
  tag: string;
  files: Record<string, string>;
  cmd: string[];
}

/** The images of the scenarios, in the registry as 127.0.0.1:5000/<name>:<tag>. */
export const TEST_IMAGES: readonly ImageRecipe[] = [
  {
    name: 'k8ts/webserver',
    tag: '1.0',
    files: { '/VERSION': '1.0\n', '/var/www/index.html': 'webserver 1.0\n' },
    cmd: ['httpd', '-f', '-p', '8080', '-h', '/var/www'],
  },
  {
    name: 'k8ts/webserver',
    tag: '1.1',
    files: { '/VERSION': '1.1\n', '/var/www/index.html': 'webserver 1.1\n' },
    cmd: ['httpd', '-f', '-p', '8080', '-h', '/var/www'],
  },
  { name: 'k8ts/sample-war', tag: 'v2', files: { '/sample.war': 'sample v2\n' }, cmd: ['cat', '/sample.war'] },
  { name: 'k8ts/sample-war', tag: 'v3', files: { '/sample.war': 'sample v3\n' }, cmd: ['cat', '/sample.war'] },
  // The sandbox image: it only has to hold the pod's namespaces open. containerd stops sandboxes with SIGKILL.
  { name: 'k8ts/pause', tag: '3.9', files: {}, cmd: ['/bin/sleep', '2147483647'] },
  // `busybox:1.36` as pod specs name it, for a node whose containerd mirrors docker.io to the local registry
  // (`--registry-mirror docker.io=http://127.0.0.1:5000` maps it to 127.0.0.1:5000/library/busybox:1.36).
  { name: 'library/busybox', tag: '1.36', files: {}, cmd: ['sh'] },
  { name: 'library/busybox', tag: 'latest', files: {}, cmd: ['sh'] },
];

/** The full reference of a test image, e.g. `127.0.0.1:5000/k8ts/webserver:1.0`. */
export function testImage(name: string, tag: string): string {
  return `${REGISTRY_HOST}/${name}:${tag}`;
}

/** Names inside the OCI layout (umoci tags may not contain '/' or ':'). */
function layoutTag(name: string, tag: string): string {
  return `${name.replace(/\//g, '_')}_${tag}`;
}

/** Writes the busybox root filesystem: the binary, a symlink per applet, and the files a container expects. */
async function writeBusyboxRootfs(rootfs: string): Promise<void> {
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'root', 'var/www', 'proc', 'sys', 'dev']) {
    await mkdir(join(rootfs, d), { recursive: true });
  }
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await copyFile(BUSYBOX, join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  const { stdout } = await run(BUSYBOX, ['--list']);
  for (const applet of stdout.split('\n').map((s) => s.trim())) {
    if (!applet || applet === 'busybox') continue;
    await symlink('busybox', join(rootfs, 'bin', applet)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** Builds every recipe into an OCI layout: one shared busybox layer, one small layer per image. */
async function buildLayout(layout: string, recipes: readonly ImageRecipe[]): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'k8ts-images-'));
  try {
    await rm(layout, { recursive: true, force: true });
    await run('umoci', ['init', '--layout', layout]);
    await run('umoci', ['new', '--image', `${layout}:empty`]);
    const base = join(work, 'base');
    await run('umoci', ['unpack', '--image', `${layout}:empty`, base]);
    await writeBusyboxRootfs(join(base, 'rootfs'));
    await run('umoci', ['repack', '--image', `${layout}:busybox`, base]);
    await run('umoci', ['config', '--image', `${layout}:busybox`, '--config.env', PATH_ENV, '--config.cmd', 'sh']);
    for (const recipe of recipes) {
      const tag = layoutTag(recipe.name, recipe.tag);
      const bundle = join(work, tag);
      await run('umoci', ['unpack', '--image', `${layout}:busybox`, bundle]);
      for (const [file, content] of Object.entries(recipe.files)) {
        const path = join(bundle, 'rootfs', file);
        await mkdir(join(path, '..'), { recursive: true });
        await writeFile(path, content);
      }
      await run('umoci', ['repack', '--image', `${layout}:${tag}`, bundle]);
      const cmd = recipe.cmd.flatMap((arg) => ['--config.cmd', arg]);
      await run('umoci', ['config', '--image', `${layout}:${tag}`, '--clear=config.cmd', '--config.env', PATH_ENV, ...cmd]);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Makes sure the registry runs on 127.0.0.1:5000 and has every scenario image; builds and pushes only what is
 * missing. Resolves with the registry's host:port.
 */
export async function ensureTestImages(): Promise<{ registry: string }> {
  const lock = `${REGISTRY_DIR}.lock`;
  // Under the lock, so that two test processes do not both start a registry (ensureRegistry checks again).
  const registry = (await registryAnswers()) ? REGISTRY_HOST : await withLock(lock, ensureRegistry);
  const missing = async (): Promise<ImageRecipe[]> => {
    const out: ImageRecipe[] = [];
    for (const r of TEST_IMAGES) if (!(await hasManifest(r.name, r.tag))) out.push(r);
    return out;
  };
  if ((await missing()).length === 0) return { registry };
  await withLock(lock, async () => {
    const todo = await missing(); // another process may have pushed them while we waited
    if (todo.length === 0) return;
    const layout = join(REGISTRY_DIR, 'oci-layout');
    await buildLayout(layout, TEST_IMAGES);
    for (const r of todo) {
      await run('skopeo', [
        'copy',
        '--quiet',
        '--dest-tls-verify=false',
        `oci:${layout}:${layoutTag(r.name, r.tag)}`,
        `docker://${testImage(r.name, r.tag)}`,
      ]);
    }
  });
  return { registry };
}

/**
 * Writes an image archive for airgap import (`k8ts images import`): a test image re-tagged as `name` (e.g.
 * `docker.io/k8ts/airgap:1.0`), as a docker-archive (`docker save` format) or an OCI archive.
 */
export async function writeImageArchive(
  source: { name: string; tag: string },
  dest: string,
  name: string,
  format: 'docker-archive' | 'oci-archive' = 'docker-archive',
): Promise<void> {
  await ensureTestImages();
  await rm(dest, { force: true });
  await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${testImage(source.name, source.tag)}`, `${format}:${dest}:${name}`]);
}
