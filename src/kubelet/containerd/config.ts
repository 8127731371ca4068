/**
 * containerd 1.6's config.toml (config version 2) for the containerd that k8ts supervises: everything under one
 * directory (root, state, socket, CNI config), the CRI plugin set up for this machine (cgroupfs, runc v2,
 * `restrict_oom_score_adj` because root lacks CAP_SYS_RESOURCE here, the CNI plugins in /usr/lib/cni,
 * registry mirrors over plain http for the local registry), and the plugins a node never uses disabled so
 * startup is quick.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The pause image every pod sandbox runs; the test helpers build and push it to the local registry. */
export const DEFAULT_SANDBOX_IMAGE = '127.0.0.1:5000/k8ts/pause:3.9';
/** Where Debian's containernetworking-plugins put the CNI binaries. */
export const DEFAULT_CNI_BIN_DIR = '/usr/lib/cni';
/** Registries on this machine that speak plain http (Debian's docker-registry on 127.0.0.1:5000). */
export const DEFAULT_PLAIN_HTTP_REGISTRIES = ['127.0.0.1:5000', 'localhost:5000'];

/** A unix socket path must fit sun_path (108 bytes); we keep a margin for the `.ttrpc` sibling. */
const MAX_SOCKET_PATH = 100;

/**
 * The gRPC socket of the containerd whose files live under `dir`: `<dir>/containerd.sock`, or, when that path
 * would be too long for a unix socket, `/run/k8ts/<hash of dir>.sock`. `k8ts up` and `k8ts images` both use
 * this, so they agree on where the node's containerd listens.
 */
export function containerdSocketPath(dir: string): string {
  const inDir = join(dir, 'containerd.sock');
  if (`${inDir}.ttrpc`.length < MAX_SOCKET_PATH) return inDir;
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return join('/run/k8ts', `${hash}.sock`);
}

/** A registry mirror: pulls of `host/...` go to `endpoints` in order. */
export interface RegistryMirror {
  host: string;
  endpoints: string[];
}

/**
 * Parses `--registry-mirror` values like `docker.io=http://127.0.0.1:5000` (several endpoints may be given
 * comma-separated). Throws on a value without `=` or with a non-http(s) endpoint.
 */
export function parseRegistryMirror(value: string): RegistryMirror {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) {
    throw new Error(`invalid registry mirror "${value}": expected <registry>=<endpoint>, e.g. docker.io=http://127.0.0.1:5000`);
  }
  const host = value.slice(0, eq).trim();
  const endpoints = value
    .slice(eq + 1)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const e of endpoints) {
    if (!/^https?:\/\/[^/]+/.test(e)) throw new Error(`invalid registry mirror endpoint "${e}": expected http://host[:port] or https://host[:port]`);
  }
  return { host, endpoints };
}

export interface ContainerdConfigOptions {
  /** Directory holding root/, state/, cni/, the socket and the config itself. */
  dir: string;
  /** The pod sandbox (pause) image; default DEFAULT_SANDBOX_IMAGE. */
  sandboxImage?: string;
  /** Registry mirrors, e.g. from `--registry-mirror docker.io=http://127.0.0.1:5000`. */
  registryMirrors?: RegistryMirror[];
  /** Registries (host:port) pulled over plain http; default DEFAULT_PLAIN_HTTP_REGISTRIES. */
  plainHttpRegistries?: string[];
  /** `overlayfs` where the kernel and filesystem allow it, else `native`. */
  snapshotter?: 'overlayfs' | 'native';
  /** The CRI streaming server's port on 127.0.0.1 (exec/attach/port-forward URLs); 0 lets containerd pick. */
  streamServerPort?: number;
  cniBinDir?: string;
  /** The OCI runtime binary containers run with (runc's options BinaryName); default containerd's (runc). */
  ociRuntimeBinary?: string;
}

/** The paths a rendered config points at. */
export interface ContainerdPaths {
  config: string;
  root: string;
  state: string;
  socket: string;
  cniConfDir: string;
  log: string;
}

export function containerdPaths(dir: string): ContainerdPaths {
  return {
    config: join(dir, 'config.toml'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    socket: containerdSocketPath(dir),
    cniConfDir: join(dir, 'cni', 'net.d'),
    log: join(dir, 'containerd.log'),
  };
}

/** Plugins a k8ts node never uses; skipping them makes containerd start faster and log fewer warnings. */
const DISABLED_PLUGINS = [
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.internal.v1.tracing',
];

/** A TOML basic string (JSON's escapes are a subset TOML accepts for the characters we write). */
function q(s: string): string {
  return JSON.stringify(s);
}

function qList(items: string[]): string {
  return `[${items.map(q).join(', ')}]`;
}

/** Mirrors plus, for each plain-http registry not mirrored elsewhere, a mirror of itself over http. */
function effectiveMirrors(opts: ContainerdConfigOptions): RegistryMirror[] {
  const mirrors = new Map<string, string[]>();
  for (const m of opts.registryMirrors ?? []) mirrors.set(m.host, [...(mirrors.get(m.host) ?? []), ...m.endpoints]);
  const plain = new Set(opts.plainHttpRegistries ?? DEFAULT_PLAIN_HTTP_REGISTRIES);
  // A mirror endpoint on http://host:port is itself a plain-http registry (images may name it directly).
  for (const endpoints of [...mirrors.values()]) {
    for (const e of endpoints) if (e.startsWith('http://')) plain.add(new URL(e).host);
  }
  // containerd 1.6 picks http only through a mirror endpoint with an http:// scheme; the registry itself
  // (e.g. 127.0.0.1:5000) gets one pointing at itself.
  for (const host of plain) if (!mirrors.has(host)) mirrors.set(host, [`http://${host}`]);
  return [...mirrors].map(([host, endpoints]) => ({ host, endpoints }));
}

/** Renders config.toml for `containerd --config`. */
export function renderContainerdConfig(opts: ContainerdConfigOptions): string {
  const p = containerdPaths(opts.dir);
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const lines = [
    '# Written by k8ts for the containerd it supervises; rewritten at every start.',
    'version = 2',
    `root = ${q(p.root)}`,
    `state = ${q(p.state)}`,
    `disabled_plugins = ${qList(DISABLED_PLUGINS)}`,
    'oom_score = 0',
    '',
    '[grpc]',
    `  address = ${q(p.socket)}`,
    '',
    '[ttrpc]',
    `  address = ${q(`${p.socket}.ttrpc`)}`,
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(join(opts.dir, 'opt'))}`,
    '',
    `[${cri}]`,
    `  sandbox_image = ${q(opts.sandboxImage ?? DEFAULT_SANDBOX_IMAGE)}`,
    // Root here lacks CAP_SYS_RESOURCE: without this, lowering a container's oom_score_adj fails the start.
    '  restrict_oom_score_adj = true',
    '  enable_unprivileged_ports = true',
    '  enable_unprivileged_icmp = true',
    '  stream_server_address = "127.0.0.1"',
    `  stream_server_port = ${q(String(opts.streamServerPort ?? 0))}`,
    '  enable_selinux = false',
    '  max_container_log_line_size = 16384',
    '',
    `[${cri}.containerd]`,
    `  snapshotter = ${q(opts.snapshotter ?? 'overlayfs')}`,
    '  default_runtime_name = "runc"',
    '',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    '',
    `[${cri}.containerd.runtimes.runc.options]`,
    // No systemd on these machines: cgroups are managed through cgroupfs.
    '  SystemdCgroup = false',
    ...(opts.ociRuntimeBinary ? [`  BinaryName = ${q(opts.ociRuntimeBinary)}`] : []),
    '',
    `[${cri}.cni]`,
    `  bin_dir = ${q(opts.cniBinDir ?? DEFAULT_CNI_BIN_DIR)}`,
    `  conf_dir = ${q(p.cniConfDir)}`,
    '  max_conf_num = 1',
  ];
  for (const m of effectiveMirrors(opts)) {
    lines.push('', `[${cri}.registry.mirrors.${q(m.host)}]`, `  endpoint = ${qList(m.endpoints)}`);
  }
  return `${lines.join('\n')}\n`;
}
