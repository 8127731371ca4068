/**
 * configMap volumes (kube's pkg/volume/configmap): the ConfigMap's keys (or the listed items) as files written
 * atomically, read-only to containers, rewritten by the resync when the ConfigMap changes.
 */
import type { ConfigMap, KeyToPath, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { AtomicWriter } from './atomic-writer.js';
import { setUpDir } from './empty-dir.js';
import { VolumeError, type FileProjection, type MountedVolume, type SetUpContext, type VolumePlugin } from './types.js';

/** kube's default mode of projected files. */
export const DEFAULT_MODE = 0o644;

/**
 * The files of a ConfigMap (kube's configmap.MakePayload): every key of `data` and `binaryData`, or only the
 * listed items; a listed key that is missing is an error unless the source is optional.
 */
export function configMapPayload(items: readonly KeyToPath[] | undefined, cm: ConfigMap | undefined, defaultMode: number, optional: boolean): Map<string, FileProjection> {
  const data = cm?.data ?? {};
  const binary = cm?.binaryData ?? {};
  const payload = new Map<string, FileProjection>();
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) payload.set(k, { data: Buffer.from(v, 'utf8'), mode: defaultMode });
    for (const [k, v] of Object.entries(binary)) payload.set(k, { data: Buffer.from(v, 'base64'), mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    let content: Buffer;
    if (data[item.key] !== undefined) content = Buffer.from(data[item.key]!, 'utf8');
    else if (binary[item.key] !== undefined) content = Buffer.from(binary[item.key]!, 'base64');
    else if (optional) continue;
    else throw new VolumeError(`configmap references non-existent config key: ${item.key}`);
    payload.set(item.path, { data: content, mode: item.mode ?? defaultMode });
  }
  return payload;
}

/** Fetches a ConfigMap for a volume: absent and optional reads as empty, absent otherwise fails as kube does. */
export async function fetchConfigMap(ctx: SetUpContext, namespace: string, name: string, optional: boolean): Promise<ConfigMap | undefined> {
  const cm = await ctx.host.getConfigMap(namespace, name);
  if (!cm && !optional) throw new VolumeError(`configmap "${name}" not found`);
  return cm;
}

export const configMapPlugin: VolumePlugin = {
  name: 'kubernetes.io/configmap',
  refreshable: true,
  supportsFsGroup: true,
  canSupport: (v: Volume) => !!v.configMap,
  async setUp(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<MountedVolume> {
    const source = volume.configMap!;
    const optional = source.optional ?? false;
    const cm = await fetchConfigMap(ctx, pod.metadata?.namespace ?? 'default', source.name ?? '', optional);
    const payload = configMapPayload(source.items, cm, source.defaultMode ?? DEFAULT_MODE, optional);
    await setUpDir(ctx.dir, ctx.mounter, false);
    await new AtomicWriter(ctx.dir).write(payload);
    return { hostPath: ctx.dir, readOnly: true };
  },
};
