/**
 * PersistentVolumeClaim, PersistentVolume and StorageClass (kube's core and storage validation): access modes,
 * sizes, volume modes, reclaim policies, and what may change later (a claim's spec only by growing a bound
 * claim's request; a class's provisioner, parameters and policies never).
 */
import { isDNS1123Subdomain, isQualifiedName } from '../../../apimachinery/names.js';
import { forbidden, immutable, invalid, invalidEach, list, notSupported, obj, required, semanticEqual, specDiff, str, type FieldError, type Fields } from './field.js';
import { decodeQuantity, decodeResourceList } from './resources.js';
import { validateLabelSelector } from './selector.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];

function accessModeErrors(modes: unknown, path: string, detail: string): FieldError[] {
  const list_ = list(modes).map(String);
  const errs: FieldError[] = list_.length === 0 ? [required(path, detail)] : [];
  for (const m of list_) if (!ACCESS_MODES.includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
  if (list_.includes('ReadWriteOncePod') && list_.length > 1) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

/** ValidatePersistentVolumeClaimSpec. */
export function validateClaimSpec(spec: Fields | undefined, path: string): FieldError[] {
  const s = spec ?? {};
  const errs = accessModeErrors(s.accessModes, `${path}.accessModes`, 'at least 1 access mode is required');
  errs.push(...validateLabelSelector(obj(s.selector), `${path}.selector`));
  const requests = obj(obj(s.resources)?.requests) ?? {};
  // kube's path here is resources[storage], not resources.requests[storage].
  const storagePath = `${path}.resources[storage]`;
  if (requests.storage === undefined || requests.storage === null) errs.push(required(storagePath, ''));
  else {
    const q = decodeQuantity(requests.storage);
    if (q.sign() <= 0) errs.push(invalid(storagePath, q.toString(), 'must be greater than zero'));
  }
  const className = str(s.storageClassName);
  if (className !== '') errs.push(...invalidEach(`${path}.storageClassName`, className, isDNS1123Subdomain(className)));
  const mode = str(s.volumeMode);
  if (s.volumeMode !== undefined && !VOLUME_MODES.includes(mode)) errs.push(notSupported(`${path}.volumeMode`, mode, VOLUME_MODES));
  return errs;
}

/** ValidatePersistentVolumeClaim. */
export function validateClaim(pvc: Fields): FieldError[] {
  return validateClaimSpec(obj(pvc.spec), 'spec');
}

/**
 * ValidatePersistentVolumeClaimUpdate: the spec is fixed, except that the volume name may be set once and a
 * bound claim's storage request may grow.
 */
export function validateClaimUpdate(pvc: Fields, old: Fields): FieldError[] {
  const errs = validateClaim(pvc);
  const spec = structuredClone(obj(pvc.spec) ?? {});
  const oldSpec = structuredClone(obj(old.spec) ?? {});
  if (str(oldSpec.volumeName) === '') oldSpec.volumeName = spec.volumeName;
  // The volume attributes class may change; it is not part of what binds a claim.
  oldSpec.volumeAttributesClassName = spec.volumeAttributesClassName;
  const bound = str(obj(pvc.status)?.phase) === 'Bound';
  const newRequests = obj(obj(spec.resources)?.requests);
  const oldStorage = obj(obj(oldSpec.resources)?.requests)?.storage;
  if (bound && newRequests) newRequests.storage = oldStorage;
  if (!semanticEqual(spec, oldSpec)) {
    errs.push(forbidden('spec', `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(oldSpec, spec, 'spec')}`));
  }
  const next = obj(obj(obj(pvc.spec)?.resources)?.requests)?.storage;
  if (bound && next !== undefined && oldStorage !== undefined && decodeQuantity(next).cmp(decodeQuantity(oldStorage)) < 0) {
    errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return errs;
}

const PV_SOURCES = ['hostPath', 'nfs', 'local', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'cinder', 'glusterfs', 'azureFile', 'azureDisk', 'gcePersistentDisk', 'awsElasticBlockStore', 'vsphereVolume', 'flexVolume', 'portworxVolume', 'scaleIO', 'storageos', 'quobyte', 'photonPersistentDisk', 'flocker'];

/** ValidatePersistentVolume's spec checks. */
export function validateVolume(pv: Fields): FieldError[] {
  const spec = obj(pv.spec) ?? {};
  const errs = accessModeErrors(spec.accessModes, 'spec.accessModes', '');
  const capacity = obj(spec.capacity) ?? {};
  if (Object.keys(capacity).length === 0) errs.push(required('spec.capacity', ''));
  if (!('storage' in capacity) || Object.keys(capacity).length > 1) {
    const keys = Object.keys(capacity).sort();
    const rendered = `core.ResourceList{${keys.map((k) => `${JSON.stringify(k)}:resource.Quantity{...}`).join(', ')}}`;
    errs.push(notSupported('spec.capacity', { go: rendered }, ['storage']));
  }
  for (const [name, q] of decodeResourceList(capacity)) {
    if (q.sign() <= 0) errs.push(invalid(`spec.capacity[${name}]`, q.toString(), 'must be greater than zero'));
  }
  const policy = str(spec.persistentVolumeReclaimPolicy);
  if (policy !== '' && !['Delete', 'Recycle', 'Retain'].includes(policy)) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, ['Delete', 'Recycle', 'Retain']));
  }
  const sources = PV_SOURCES.filter((s) => obj(spec[s]));
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  const hostPath = obj(spec.hostPath);
  if (hostPath && str(hostPath.path) === '') errs.push(required('spec.hostPath.path', ''));
  const className = str(spec.storageClassName);
  if (className !== '') errs.push(...invalidEach('spec.storageClassName', className, isDNS1123Subdomain(className)));
  const mode = str(spec.volumeMode);
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(mode)) errs.push(notSupported('spec.volumeMode', mode, VOLUME_MODES));
  return errs;
}

/** ValidateStorageClass. */
export function validateStorageClass(sc: Fields): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = str(sc.provisioner);
  if (provisioner === '') errs.push(required('provisioner', ''));
  else errs.push(...invalidEach('provisioner', provisioner.toLowerCase(), isQualifiedName(provisioner.toLowerCase())));
  const reclaim = str(sc.reclaimPolicy);
  if (reclaim !== '' && reclaim !== 'Delete' && reclaim !== 'Retain') errs.push(notSupported('reclaimPolicy', reclaim, ['Delete', 'Retain']));
  const binding = str(sc.volumeBindingMode);
  if (binding !== '' && binding !== 'Immediate' && binding !== 'WaitForFirstConsumer') {
    errs.push(notSupported('volumeBindingMode', binding, ['Immediate', 'WaitForFirstConsumer']));
  }
  return errs;
}

/** ValidateStorageClassUpdate: provisioner, parameters and policies are fixed. */
export function validateStorageClassUpdate(sc: Fields, old: Fields): FieldError[] {
  const errs = validateStorageClass(sc);
  if (!semanticEqual(sc.parameters, old.parameters)) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
  if (str(sc.provisioner) !== str(old.provisioner)) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (str(sc.reclaimPolicy) !== str(old.reclaimPolicy)) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...immutable('volumeBindingMode', sc.volumeBindingMode, old.volumeBindingMode, str(sc.volumeBindingMode)));
  return errs;
}
