/**
 * projected volumes (kube's pkg/volume/projected): configMap, secret, downwardAPI and serviceAccountToken
 * sources merged into one dir (this is how every pod gets `kube-api-access-*`: token, `kube-root-ca.crt`'s
 * ca.crt, namespace). The token comes from the TokenRequest API and is replaced once 80% of its life is gone.
 */
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { AtomicWriter } from './atomic-writer.js';
import { configMapPayload, DEFAULT_MODE } from './configmap.js';
import { aggregateMessage, downwardAPIPayload } from './downward-api.js';
import { setUpAPIVolumeDir } from './empty-dir.js';
import { secretPayload } from './secret.js';
import { VolumeError, type FileProjection, type MountedVolume, type SetUpContext, type VolumePlugin } from './types.js';

/** kube's default token lifetime for a projected serviceAccountToken source. */
const DEFAULT_EXPIRATION_SECONDS = 3600;

async function collectData(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<Map<string, FileProjection>> {
  const source = volume.projected!;
  const defaultMode = source.defaultMode ?? DEFAULT_MODE;
  const namespace = pod.metadata?.namespace ?? 'default';
  const payload = new Map<string, FileProjection>();
  const errors: string[] = [];
  const merge = (files: Map<string, FileProjection>): void => {
    for (const [p, f] of files) payload.set(p, f);
  };
  for (const s of source.sources ?? []) {
    try {
      if (s.configMap) {
        const optional = s.configMap.optional ?? false;
        const name = s.configMap.name ?? '';
        const cm = await ctx.host.getConfigMap(namespace, name);
        if (!cm) {
          if (optional) continue;
          throw new VolumeError(`configmap "${name}" not found`);
        }
        merge(configMapPayload(s.configMap.items, cm, defaultMode, optional));
      } else if (s.secret) {
        const optional = s.secret.optional ?? false;
        const name = s.secret.name ?? '';
        const secret = await ctx.host.getSecret(namespace, name);
        if (!secret) {
          if (optional) continue;
          throw new VolumeError(`secret "${name}" not found`);
        }
        merge(secretPayload(s.secret.items, secret, defaultMode, optional));
      } else if (s.downwardAPI) {
        merge(downwardAPIPayload(s.downwardAPI.items, pod, ctx.host.nodeAllocatable(), defaultMode));
      } else if (s.serviceAccountToken) {
        const tp = s.serviceAccountToken;
        const token = await ctx.tokens.getServiceAccountToken(namespace, pod.spec?.serviceAccountName || 'default', {
          audiences: tp.audience ? [tp.audience] : [],
          expirationSeconds: tp.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
        });
        // With an fsGroup kube writes the token 0600 and lets the ownership pass open it to the group.
        const mode = pod.spec?.securityContext?.fsGroup !== undefined ? 0o600 : defaultMode;
        payload.set(tp.path, { data: Buffer.from(token, 'utf8'), mode });
      } else if (s.clusterTrustBundle) {
        throw new VolumeError('clusterTrustBundle projections are not supported');
      }
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new VolumeError(aggregateMessage(errors));
  return payload;
}

export const projectedPlugin: VolumePlugin = {
  name: 'kubernetes.io/projected',
  refreshable: true,
  supportsFsGroup: true,
  canSupport: (v: Volume) => !!v.projected,
  async setUp(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<MountedVolume> {
    const payload = await collectData(pod, volume, ctx);
    await setUpAPIVolumeDir(pod, ctx);
    await new AtomicWriter(ctx.dir).write(payload);
    return { hostPath: ctx.dir, readOnly: true };
  },
};
