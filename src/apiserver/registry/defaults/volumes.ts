/**
 * Defaults of volume sources, shared by pod volumes and PersistentVolumes (kube's SetDefaults_* for the
 * source types): file modes 0644, hostPath type "", and the RBD/iSCSI/Azure/ScaleIO plugin defaults.
 */
import { child, items, setDefault, setDefaultString, type Fields } from './fields.js';

/** 0644, the mode kube gives projected files unless the volume says otherwise. */
export const DEFAULT_MODE = 420;

/** A downward API item's fieldRef gets apiVersion v1 (ObjectFieldSelector). */
export function defaultFieldRef(fieldRef: Fields | undefined): void {
  if (fieldRef) setDefaultString(fieldRef, 'apiVersion', 'v1');
}

function defaultDownwardAPIItems(source: Fields): void {
  for (const item of items(source, 'items')) defaultFieldRef(child(item, 'fieldRef'));
}

/** A PersistentVolumeClaimSpec's volumeMode (Filesystem), wherever a claim spec appears. */
export function defaultClaimSpec(spec: Fields | undefined): void {
  if (spec) setDefaultString(spec, 'volumeMode', 'Filesystem');
}

/** Source types that appear both in pod volumes and in PersistentVolume specs. */
export function defaultPersistentSources(source: Fields): void {
  const hostPath = child(source, 'hostPath');
  if (hostPath) setDefault(hostPath, 'type', '');
  const iscsi = child(source, 'iscsi');
  if (iscsi) setDefaultString(iscsi, 'iscsiInterface', 'default');
  const rbd = child(source, 'rbd');
  if (rbd) {
    setDefaultString(rbd, 'pool', 'rbd');
    setDefaultString(rbd, 'user', 'admin');
    setDefaultString(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const azureDisk = child(source, 'azureDisk');
  if (azureDisk) {
    setDefault(azureDisk, 'cachingMode', 'ReadWrite');
    setDefault(azureDisk, 'fsType', 'ext4');
    setDefault(azureDisk, 'readOnly', false);
    setDefault(azureDisk, 'kind', 'Shared');
  }
  const scaleIO = child(source, 'scaleIO');
  if (scaleIO) {
    setDefaultString(scaleIO, 'storageMode', 'ThinProvisioned');
    setDefaultString(scaleIO, 'fsType', 'xfs');
  }
}

/** One pod volume: emptyDir when it names no source, then each source's own defaults. */
export function defaultVolume(volume: Fields): void {
  const hasSource = Object.entries(volume).some(([key, value]) => key !== 'name' && value !== undefined && value !== null);
  if (!hasSource) volume.emptyDir = {};
  defaultPersistentSources(volume);
  for (const key of ['secret', 'configMap']) {
    const source = child(volume, key);
    if (source) setDefault(source, 'defaultMode', DEFAULT_MODE);
  }
  const downwardAPI = child(volume, 'downwardAPI');
  if (downwardAPI) {
    setDefault(downwardAPI, 'defaultMode', DEFAULT_MODE);
    defaultDownwardAPIItems(downwardAPI);
  }
  const projected = child(volume, 'projected');
  if (projected) {
    setDefault(projected, 'defaultMode', DEFAULT_MODE);
    for (const source of items(projected, 'sources')) {
      const api = child(source, 'downwardAPI');
      if (api) defaultDownwardAPIItems(api);
      const token = child(source, 'serviceAccountToken');
      if (token) setDefault(token, 'expirationSeconds', 3600);
    }
  }
  defaultClaimSpec(child(child(child(volume, 'ephemeral') ?? {}, 'volumeClaimTemplate') ?? {}, 'spec'));
}
