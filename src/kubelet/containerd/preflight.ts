/**
 * Checks, before starting containerd, that the programs a node needs are installed, and says which Debian
 * package to install when one is missing (the error a user sees first on a fresh machine).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DEFAULT_CNI_BIN_DIR } from './config.js';

/** The CNI plugins the node's network uses (containerd brings up loopback with the `loopback` plugin). */
export const REQUIRED_CNI_PLUGINS = ['bridge', 'host-local', 'portmap', 'loopback'];

export interface PreflightOptions {
  /** The PATH to search for containerd and runc; default process.env.PATH. */
  path?: string;
  /** Where the CNI plugins must be; default /usr/lib/cni. */
  cniBinDir?: string;
}

/** What the preflight found: the absolute paths of the binaries. */
export interface PreflightResult {
  containerd: string;
  runc: string;
  ctr?: string;
}

/** A missing prerequisite, naming the Debian packages that provide what is missing. */
export class PreflightError extends Error {
  constructor(
    readonly missing: string[],
    readonly packages: string[],
  ) {
    super(
      `missing ${missing.join(', ')}: install ${packages.length === 1 ? 'the Debian package' : 'the Debian packages'} ` +
        `${packages.join(', ')} (apt-get install -y ${packages.join(' ')})`,
    );
    this.name = 'PreflightError';
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on `path`, like `command -v`. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Throws a PreflightError naming every missing piece and its package; returns the binaries found. */
export function preflight(opts: PreflightOptions = {}): PreflightResult {
  const path = opts.path ?? process.env.PATH ?? '';
  const cniBinDir = opts.cniBinDir ?? DEFAULT_CNI_BIN_DIR;
  const missing: string[] = [];
  const packages: string[] = [];
  const need = (what: string, pkg: string): void => {
    missing.push(what);
    if (!packages.includes(pkg)) packages.push(pkg);
  };
  const containerd = findExecutable('containerd', path);
  if (!containerd) need('containerd', 'containerd');
  const runc = findExecutable('runc', path);
  if (!runc) need('runc', 'runc');
  for (const plugin of REQUIRED_CNI_PLUGINS) {
    const file = join(cniBinDir, plugin);
    if (!isExecutable(file)) need(file, 'containernetworking-plugins');
  }
  if (!containerd || !runc || missing.length > 0) throw new PreflightError(missing, packages);
  return { containerd, runc, ctr: findExecutable('ctr', path) };
}
