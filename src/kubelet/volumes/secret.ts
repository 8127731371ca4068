/**
 * secret volumes (kube's pkg/volume/secret): the Secret's keys (or listed items) as files, in a memory-backed
 * dir, written atomically and rewritten by the resync when the Secret changes.
 */
import type { KeyToPath, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import { AtomicWriter } from './atomic-writer.js';
import { DEFAULT_MODE } from './configmap.js';
import { setUpAPIVolumeDir } from './empty-dir.js';
import { VolumeError, type FileProjection, type MountedVolume, type SetUpContext, type VolumePlugin } from './types.js';

/** The files of a Secret (kube's secret.MakePayload); `data` values are base64 in the API. */
export function secretPayload(items: readonly KeyToPath[] | undefined, secret: Secret | undefined, defaultMode: number, optional: boolean): Map<string, FileProjection> {
  const data = secret?.data ?? {};
  const payload = new Map<string, FileProjection>();
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) payload.set(k, { data: Buffer.from(v, 'base64'), mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const v = data[item.key];
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeError(`references non-existent secret key: ${item.key}`);
    }
    payload.set(item.path, { data: Buffer.from(v, 'base64'), mode: item.mode ?? defaultMode });
  }
  return payload;
}

/** Fetches a Secret for a volume: absent and optional reads as empty, absent otherwise fails as kube does. */
export async function fetchSecret(ctx: SetUpContext, namespace: string, name: string, optional: boolean): Promise<Secret | undefined> {
  const secret = await ctx.host.getSecret(namespace, name);
  if (!secret && !optional) throw new VolumeError(`secret "${name}" not found`);
  return secret;
}

export const secretPlugin: VolumePlugin = {
  name: 'kubernetes.io/secret',
  refreshable: true,
  supportsFsGroup: true,
  canSupport: (v: Volume) => !!v.secret,
  async setUp(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<MountedVolume> {
    const source = volume.secret!;
    const optional = source.optional ?? false;
    const secret = await fetchSecret(ctx, pod.metadata?.namespace ?? 'default', source.secretName ?? '', optional);
    const payload = secretPayload(source.items, secret, source.defaultMode ?? DEFAULT_MODE, optional);
    await setUpAPIVolumeDir(pod, ctx);
    await new AtomicWriter(ctx.dir).write(payload);
    return { hostPath: ctx.dir, readOnly: true };
  },
};
