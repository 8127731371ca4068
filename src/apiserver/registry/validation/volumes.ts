/**
 * A pod's volumes (kube's ValidateVolumes / validateVolumeSource): unique DNS-label names, exactly one source
 * each, and the required fields of the common sources. Returns the names of the valid volumes, which is what
 * volume mounts may refer to.
 */
import { isDNS1123Label } from '../../../apimachinery/names.js';
import { duplicate, forbidden, invalidEach, notSupported, obj, objects, required, str, type FieldError, type Fields } from './field.js';
import { decodeQuantity, nonNegativeQuantity } from './resources.js';

/** Every volume source type, in kube's order of checking. */
const SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'projected', 'storageos',
  'csi', 'ephemeral', 'image',
] as const;

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

/** The source-specific checks of the sources users write most. */
function validateSource(type: string, source: Fields, path: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (type) {
    case 'hostPath':
      if (str(source.path) === '') errs.push(required(`${path}.path`, ''));
      if (!HOST_PATH_TYPES.includes(str(source.type))) errs.push(notSupported(`${path}.type`, str(source.type), HOST_PATH_TYPES));
      break;
    case 'emptyDir':
      if (source.sizeLimit !== undefined && source.sizeLimit !== null) errs.push(...nonNegativeQuantity(decodeQuantity(source.sizeLimit), `${path}.sizeLimit`));
      break;
    case 'secret':
      if (str(source.secretName) === '') errs.push(required(`${path}.secretName`, ''));
      break;
    case 'configMap':
      if (str(source.name) === '') errs.push(required(`${path}.name`, ''));
      break;
    case 'persistentVolumeClaim':
      if (str(source.claimName) === '') errs.push(required(`${path}.claimName`, ''));
      break;
    case 'nfs':
      if (str(source.server) === '') errs.push(required(`${path}.server`, ''));
      if (str(source.path) === '') errs.push(required(`${path}.path`, ''));
      break;
    case 'csi':
      if (str(source.driver) === '') errs.push(required(`${path}.driver`, ''));
      break;
  }
  return errs;
}

/** validateVolumeSource: exactly one source type. */
function validateVolumeSource(volume: Fields, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  // configMap sits between secret and nfs in kube's list; its position only matters for which one is "extra".
  for (const type of [...SOURCES.slice(0, 6), 'configMap', ...SOURCES.slice(6)]) {
    const source = obj(volume[type]);
    if (!source) continue;
    if (count > 0) {
      errs.push(forbidden(`${path}.${type}`, 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    errs.push(...validateSource(type, source, `${path}.${type}`));
  }
  if (count === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

/** ValidateVolumes: the errors, and the names of the volumes that passed (what mounts may refer to). */
export function validateVolumes(volumes: unknown, path: string): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  const seen = new Set<string>();
  for (const [i, v] of objects(volumes)) {
    const p = `${path}[${i}]`;
    const name = str(v.name);
    const el = validateVolumeSource(v, p);
    if (name === '') el.push(required(`${p}.name`, ''));
    else el.push(...invalidEach(`${p}.name`, name, isDNS1123Label(name)));
    if (seen.has(name)) el.push(duplicate(`${p}.name`, name));
    if (el.length === 0) {
      names.add(name);
      seen.add(name);
    } else errs.push(...el);
  }
  return { errs, names };
}
