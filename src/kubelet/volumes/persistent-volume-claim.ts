/**
 * persistentVolumeClaim volumes: the claim is resolved to its bound PersistentVolume (kube's
 * desired_state_of_world_populator getPVCExtractPV/getPVSpec), and the PV's own source is used. On one node
 * without attach/detach, hostPath and local PVs are the ones that can be served: their path is the volume.
 */
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import { checkHostPathType } from './host-path.js';
import { VolumeError, type MountedVolume, type SetUpContext, type VolumePlugin } from './types.js';

/** The fields of a PersistentVolumeSpec that name a volume source (everything but the bookkeeping). */
const NOT_SOURCES = new Set([
  'accessModes',
  'capacity',
  'claimRef',
  'mountOptions',
  'nodeAffinity',
  'persistentVolumeReclaimPolicy',
  'storageClassName',
  'volumeAttributesClassName',
  'volumeMode',
]);

export const persistentVolumeClaimPlugin: VolumePlugin = {
  name: 'kubernetes.io/persistent-volume-claim',
  refreshable: false,
  supportsFsGroup: false,
  canSupport: (v: Volume) => !!v.persistentVolumeClaim,
  async setUp(pod: Pod, volume: Volume, ctx: SetUpContext): Promise<MountedVolume> {
    const namespace = pod.metadata?.namespace ?? 'default';
    const { claimName, readOnly } = volume.persistentVolumeClaim!;
    const fail = (why: string): never => {
      throw new VolumeError(`error processing PVC ${namespace}/${claimName}: ${why}`);
    };
    const pvc = await ctx.host.getPVC(namespace, claimName);
    if (!pvc) fail(`failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
    if (pvc!.metadata?.deletionTimestamp) fail('PVC is being deleted');
    const pvName = pvc!.spec?.volumeName;
    if (pvc!.status?.phase !== 'Bound' || !pvName) fail('PVC is not bound');
    const pv = await ctx.host.getPV(pvName!);
    if (!pv) fail(`failed to fetch PV ${pvName} from API server: persistentvolumes "${pvName}" not found`);
    const claimRef = pv!.spec?.claimRef;
    if (!claimRef) fail(`found PV object "${pvName}" but it has a nil ClaimRef`);
    if (claimRef!.uid !== pvc!.metadata?.uid) {
      fail(`found PV object "${pvName}" but its ClaimRef.UID "${claimRef!.uid ?? ''}" does not point to claim.UID "${pvc!.metadata?.uid ?? ''}"`);
    }
    const spec = pv!.spec!;
    if (spec.volumeMode === 'Block') throw new VolumeError(`PersistentVolume "${pvName}" has volumeMode Block, which is not supported`);
    if (spec.hostPath) {
      await checkHostPathType(spec.hostPath.path, spec.hostPath.type);
      return { hostPath: spec.hostPath.path, readOnly: readOnly ?? false };
    }
    if (spec.local) return { hostPath: spec.local.path, readOnly: readOnly ?? false };
    const sources = Object.keys(spec).filter((k) => !NOT_SOURCES.has(k));
    throw new VolumeError(`PersistentVolume "${pvName}" has an unsupported volume source ${sources.join(', ') || '(none)'}: only hostPath and local are supported`);
  },
};
