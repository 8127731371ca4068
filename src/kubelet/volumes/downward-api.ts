/**
 * downwardAPI volumes (kube's pkg/volume/downwardapi): pod metadata and container resources as files,
 * rewritten by the resync when labels or annotations change.
 */
import { posix } from 'node:path';
import type { DownwardAPIVolumeFile, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { extractFieldPathAsString, resourceFieldValue, type ResourceList } from '../fieldpath.js';
import { AtomicWriter } from './atomic-writer.js';
import { DEFAULT_MODE } from './configmap.js';
import { setUpAPIVolumeDir } from './empty-dir.js';
import { VolumeError, type FileProjection, type MountedVolume, type SetUpContext, type VolumePlugin } from './types.js';

/** Several failures reported together, worded like kube's utilerrors aggregate. */
export function aggregateMessage(messages: readonly string[]): string {
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}

/** The files of a downwardAPI source (kube's downwardapi.CollectData); throws the aggregate of failed items. */
export function downwardAPIPayload(items: readonly DownwardAPIVolumeFile[] | undefined, pod: Pod, allocatable: ResourceList, defaultMode: number): Map<string, FileProjection> {
  const payload = new Map<string, FileProjection>();
  const errors: string[] = [];
  for (const item of items ?? []) {
    let data = '';
    try {
      if (item.fieldRef) data = extractFieldPathAsString(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef) data = resourceFieldValue(item.resourceFieldRef, pod, undefined, allocatable);
    } catch (err) {
      errors.push((err as Error).message);
      continue;
    }
    payload.set(posix.normalize(item.path), { data: Buffer.from(data, 'utf8'), mode: item.mode ?? defaultMode });
  }
  if (errors.length > 0) throw new VolumeError(aggregateMessage(errors));
  return payload;
}

export const downwardAPIPlugin: VolumePlugin = {
  name: 'kubernetes.io/downward-api',
  refreshable: true,
  supportsFsGroup: true,
  canSupport: (v: Volume) => !!v.downwardAPI,
  async setUp(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<MountedVolume> {
    const source = volume.downwardAPI!;
    const payload = downwardAPIPayload(source.items, pod, ctx.host.nodeAllocatable(), source.defaultMode ?? DEFAULT_MODE);
    await setUpAPIVolumeDir(pod, ctx);
    await new AtomicWriter(ctx.dir).write(payload);
    return { hostPath: ctx.dir, readOnly: true };
  },
};
