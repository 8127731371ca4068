/**
 * `k8ts images import|ls|rm`: the node's images, for machines without a registry (airgap). `ls` and `rm` go
 * through the CRI image service like `crictl images` / `crictl rmi`; `import` loads a `docker save` or OCI
 * archive with containerd's `ctr` into the `k8s.io` namespace the CRI uses (CRI itself has no import call).
 */
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { connectCri, type CriConnection } from '../kubelet/cri/client.js';
import { CriError, type Image } from '../kubelet/cri/types.js';
import { containerdSocketPath } from '../kubelet/containerd/config.js';
import { findExecutable } from '../kubelet/containerd/preflight.js';

const run = promisify(execFile);

/** containerd's namespace for everything the CRI plugin manages. */
const CRI_NAMESPACE = 'k8s.io';

interface ImagesFlags {
  dataDir: string;
  containerRuntimeEndpoint?: string;
}

/** The CRI endpoint: the flag, else the socket of the containerd `k8ts up` supervises under `<dataDir>/containerd`. */
export function imagesEndpoint(flags: ImagesFlags): string {
  return flags.containerRuntimeEndpoint ?? `unix://${containerdSocketPath(join(flags.dataDir, 'containerd'))}`;
}

function socketPath(endpoint: string): string {
  return endpoint.replace(/^unix:\/\//, '').replace(/^unix:/, '');
}

/** Splits `registry/repo:tag` into repository and tag the way crictl prints them (`<none>` when absent). */
export function splitRepoTag(ref: string): { repository: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: '<none>' };
}

/** A size in decimal units with 3 significant digits, as crictl (docker/go-units HumanSize) prints it. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number(value.toPrecision(3))}${units[i]}`;
}

/** Left-aligned columns, each at least 20 wide and padded by 3, like crictl's tabwriter. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(20, ...rows.map((r) => r[col].length + 3)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('').trimEnd()).join('\n');
}

/** The `k8ts images ls` table: one row per tag (an untagged image gets `<none>`), sorted by reference. */
export function imagesTable(images: Image[]): string {
  const rows: string[][] = [];
  for (const image of images) {
    const id = image.id.replace(/^sha256:/, '').slice(0, 13);
    const refs = image.repoTags.length > 0 ? image.repoTags : [];
    if (refs.length === 0) {
      const digest = image.repoDigests[0];
      rows.push([digest ? digest.split('@')[0] : '<none>', '<none>', id, humanSize(image.size)]);
    }
    for (const ref of refs) {
      const { repository, tag } = splitRepoTag(ref);
      rows.push([repository, tag, id, humanSize(image.size)]);
    }
  }
  rows.sort((a, b) => (a[0] === b[0] ? a[1].localeCompare(b[1]) : a[0].localeCompare(b[0])));
  return formatTable([['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], ...rows]);
}

async function withCri<T>(flags: ImagesFlags, fn: (cri: CriConnection) => Promise<T>): Promise<T> {
  const endpoint = imagesEndpoint(flags);
  const cri = connectCri(endpoint, { timeoutMs: 10_000 });
  try {
    return await fn(cri);
  } catch (err) {
    if (err instanceof CriError && err.code === 14 /* UNAVAILABLE */) {
      throw new Error(`cannot reach the container runtime at ${endpoint}: is \`k8ts up\` running? (${err.details})`);
    }
    throw err;
  } finally {
    cri.close();
  }
}

/** The snapshotter the CRI unpacks into, read from its image filesystem (`.../io.containerd.snapshotter.v1.<name>`). */
async function criSnapshotter(cri: CriConnection): Promise<string | undefined> {
  const fs = await cri.images.imageFsInfo();
  const match = fs[0]?.fsId?.mountpoint.match(/io\.containerd\.snapshotter\.v1\.([\w-]+)$/);
  return match?.[1];
}

/**
 * A reference in the fully qualified form the CRI looks images up by, as Docker normalizes it:
 * `busybox` -> `docker.io/library/busybox:latest`, `k8ts/app:1` -> `docker.io/k8ts/app:1`.
 */
export function normalizeImageRef(ref: string): string {
  const slash = ref.indexOf('/');
  const first = slash < 0 ? '' : ref.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  let name = hasDomain ? ref : `docker.io/${slash < 0 ? `library/${ref}` : ref}`;
  const lastSlash = name.lastIndexOf('/');
  if (!name.includes('@') && name.lastIndexOf(':') < lastSlash) name = `${name}:latest`;
  return name;
}

/** Imports image archives into the node's containerd; resolves with the image names imported. */
export async function importImages(flags: ImagesFlags, archives: string[]): Promise<string[]> {
  const ctr = findExecutable('ctr', `${process.env.PATH ?? ''}:/usr/bin:/usr/local/bin`);
  if (!ctr) throw new Error('ctr not found: install the Debian package containerd (apt-get install -y containerd)');
  const endpoint = imagesEndpoint(flags);
  // Ask the CRI first: it says whether the runtime is up, and which snapshotter to unpack for.
  const snapshotter = await withCri(flags, criSnapshotter);
  const imported: string[] = [];
  for (const archive of archives) {
    const args = ['--address', socketPath(endpoint), '-n', CRI_NAMESPACE, 'images', 'import'];
    if (snapshotter) args.push('--snapshotter', snapshotter);
    let stdout: string;
    try {
      ({ stdout } = await run(ctr, [...args, archive], { maxBuffer: 16 * 1024 * 1024 }));
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`importing ${archive} failed: ${(e.stderr ?? '').trim() || e.message}`);
    }
    // ctr prints `unpacking <name> (sha256:...)...done` per image.
    for (const m of stdout.matchAll(/unpacking (\S+) \((sha256:[0-9a-f]+)\)/g)) {
      const name = m[1];
      const normalized = normalizeImageRef(name);
      if (normalized !== name) {
        // An OCI archive may name images `k8ts/app:1`: ctr keeps that name verbatim, but the CRI looks
        // images up by their normalized name, so a pod asking for `k8ts/app:1` would not find it.
        const base = ['--address', socketPath(endpoint), '-n', CRI_NAMESPACE, 'images'];
        await run(ctr, [...base, 'tag', '--force', name, normalized]);
        await run(ctr, [...base, 'rm', name]);
      }
      imported.push(normalized);
    }
  }
  return imported;
}

/** Registers `k8ts images` and its subcommands on the CLI. */
export function addImagesCommand(program: Command): void {
  const images = program.command('images').description("manage the node's container images (airgap import, list, remove)");
  const common = (cmd: Command): Command =>
    cmd
      .option('--data-dir <dir>', 'the data dir of the `k8ts up` (or `k8ts agent`) whose containerd to use', join(homedir(), '.k8ts'))
      .option('--container-runtime-endpoint <endpoint>', 'the CRI endpoint (default: the containerd k8ts supervises under --data-dir)');

  common(images.command('import').description('import image archives (docker save or OCI tar) into the node').argument('<tar...>')).action(
    async (archives: string[], flags: ImagesFlags) => {
      await fail(async () => {
        const names = await importImages(flags, archives);
        for (const name of names) console.log(`imported ${name}`);
      });
    },
  );

  common(images.command('ls').alias('list').description('list the images on the node').option('-q, --quiet', 'only print image IDs')).action(
    async (flags: ImagesFlags & { quiet?: boolean }) => {
      await fail(async () => {
        const list = await withCri(flags, (cri) => cri.images.listImages());
        if (flags.quiet) for (const id of new Set(list.map((i) => i.id))) console.log(id);
        else console.log(imagesTable(list));
      });
    },
  );

  common(images.command('rm').description('remove images from the node').argument('<image...>')).action(async (refs: string[], flags: ImagesFlags) => {
    await fail(() =>
      withCri(flags, async (cri) => {
        let missing = false;
        for (const ref of refs) {
          const status = await cri.images.imageStatus({ image: ref });
          if (!status) {
            console.error(`error: no such image ${ref}`);
            missing = true;
            continue;
          }
          await cri.images.removeImage({ image: status.id });
          for (const tag of status.repoTags.length > 0 ? status.repoTags : [status.id]) console.log(`Deleted: ${tag}`);
        }
        if (missing) process.exitCode = 1;
      }),
    );
  });
}

async function fail(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
