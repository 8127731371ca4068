/**
 * DefaultStorageClass: a new PersistentVolumeClaim that names no storage class (the field absent; an empty
 * string asks for none) gets the class marked default. With several defaults, the newest wins, as in
 * Kubernetes 1.26+.
 */
import { isFields } from '../registry/defaults/fields.js';
import { isResource, type AdmissionAttributes, type AdmissionPlugin, type ObjectReader } from './admission.js';

export const IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_IS_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';
const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

export class DefaultStorageClass implements AdmissionPlugin {
  readonly name = 'DefaultStorageClass';

  constructor(private readonly objects: ObjectReader) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation !== 'CREATE' || !isResource(attrs, '', 'persistentvolumeclaims')) return;
    const obj = attrs.object;
    if (!obj) return;
    if (!isFields(obj.spec)) obj.spec = {};
    const spec = obj.spec as Record<string, unknown>;
    if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
    // The beta annotation names a class (or none) the older way; kube leaves such claims alone.
    if (obj.metadata.annotations?.[BETA_STORAGE_CLASS_ANNOTATION] !== undefined) return;
    await this.objects.fresh();
    const classes = this.objects.list({ group: 'storage.k8s.io', resource: 'storageclasses' });
    const defaults = classes.filter((c) => {
      const a = c.metadata.annotations ?? {};
      return a[IS_DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_IS_DEFAULT_CLASS_ANNOTATION] === 'true';
    });
    if (defaults.length === 0) return;
    defaults.sort((a, b) => {
      const ta = a.metadata.creationTimestamp ?? '';
      const tb = b.metadata.creationTimestamp ?? '';
      if (ta !== tb) return ta > tb ? -1 : 1;
      return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
    });
    spec.storageClassName = defaults[0]!.metadata.name;
  }
}
