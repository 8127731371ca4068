/** A fake volume host for the volume tests: an in-memory API whose objects tests change to watch files follow. */
import type { TokenRequestSpec } from 'kubernetes-types/authentication/v1.js';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import { stat } from 'node:fs/promises';
import { VolumeManager } from '../../src/kubelet/volumes/manager.js';
import type { VolumeHost } from '../../src/kubelet/volumes/types.js';
import { tempDir } from '../helpers/tmp.js';

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
export const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o7777;

/** An in-memory API for the volume host: tests change objects and watch the files follow. */
export class FakeHost implements VolumeHost {
  configMaps = new Map<string, ConfigMap>();
  secrets = new Map<string, Secret>();
  pvcs = new Map<string, PersistentVolumeClaim>();
  pvs = new Map<string, PersistentVolume>();
  tokenRequests: Array<{ namespace: string; name: string; spec: TokenRequestSpec }> = [];
  clock = Date.parse('2026-01-01T00:00:00Z');
  constructor(readonly rootDir: string) {}
  async getConfigMap(ns: string, name: string) {
    return this.configMaps.get(`${ns}/${name}`);
  }
  async getSecret(ns: string, name: string) {
    return this.secrets.get(`${ns}/${name}`);
  }
  async getPVC(ns: string, name: string) {
    return this.pvcs.get(`${ns}/${name}`);
  }
  async getPV(name: string) {
    return this.pvs.get(name);
  }
  nodeAllocatable() {
    return { cpu: '4', memory: '1Gi', 'ephemeral-storage': '10Gi' };
  }
  requestToken = async (namespace: string, name: string, spec: TokenRequestSpec) => {
    this.tokenRequests.push({ namespace, name, spec });
    return {
      token: `token-${this.tokenRequests.length}`,
      expirationTimestamp: new Date(this.clock + (spec.expirationSeconds ?? 3600) * 1000).toISOString(),
    };
  };
  putConfigMap(name: string, data: Record<string, string>, binaryData?: Record<string, string>): void {
    this.configMaps.set(`team/${name}`, { metadata: { name, namespace: 'team' }, data, ...(binaryData ? { binaryData } : {}) });
  }
  putSecret(name: string, data: Record<string, string>): void {
    this.secrets.set(`team/${name}`, { metadata: { name, namespace: 'team' }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])) });
  }
}

let seq = 0;
export function pod(volumes: Volume[], extra: Partial<Pod['spec']> = {}): Pod {
  seq++;
  return {
    metadata: { name: `web-${seq}`, namespace: 'team', uid: `uid-${seq}`, labels: { app: 'web', zone: 'a' }, annotations: { owner: 'ops' } },
    spec: {
      serviceAccountName: 'builder',
      containers: [{ name: 'main', image: 'busybox', resources: { limits: { memory: '256Mi', cpu: '500m' } } }],
      volumes,
      ...extra,
    },
  };
}

export async function setup(): Promise<{ host: FakeHost; vm: VolumeManager; remove: () => Promise<void> }> {
  const dir = await tempDir('k8ts-vol-');
  const host = new FakeHost(dir.path);
  // Without tmpfs here: the memory-backed behaviour has its own (root) tests below.
  const vm = new VolumeManager(host, { memoryBackedAPIVolumes: false, now: () => host.clock });
  return { host, vm, remove: dir.remove };
}
