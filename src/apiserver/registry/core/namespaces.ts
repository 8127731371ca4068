/**
 * v1 Namespace: the kubernetes.io/metadata.name label, Active on create with the `kubernetes` finalizer in
 * spec.finalizers, and the lifecycle: a delete marks it Terminating and it stays until the namespace controller
 * has removed its content and taken its finalizer off through the `finalize` subresource.
 */
import { isDNS1123Label } from '../../../apimachinery/names.js';
import { conflict } from '../../../apimachinery/status.js';
import type { ResourceStrategy, StoredObject } from '../strategy.js';
import { validateNamespace } from '../validation/cluster.js';
import { age, AGE_COLUMN, column, NAME_COLUMN } from '../../printers/columns.js';

/** api.FinalizerKubernetes: the namespace controller's finalizer. */
export const KUBERNETES_FINALIZER = 'kubernetes';

interface NamespaceFields {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: unknown[] };
}

const fields = (obj: StoredObject): NamespaceFields => obj as NamespaceFields;

const namespaceTable = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The phase of the namespace (Active or Terminating).'), AGE_COLUMN],
  cells: (obj: StoredObject, now: number) => [obj.metadata.name ?? '', fields(obj).status?.phase ?? '', age(obj, now)],
};

/** The namespace's spec.finalizers (kube's namespace finalizers, not metadata.finalizers). */
export function namespaceFinalizers(obj: StoredObject): string[] {
  const list = fields(obj).spec?.finalizers;
  return Array.isArray(list) ? list : [];
}

export const namespaceStrategy: ResourceStrategy = {
  table: namespaceTable,
  selectableFields: ['status.phase'],
  fieldValues: (obj) => ({ 'status.phase': fields(obj).status?.phase ?? '' }),
  validateName: isDNS1123Label,
  validate: (obj) => validateNamespace(obj),
  validateUpdate: (obj) => validateNamespace(obj),
  // SetDefaults_Namespace: every named namespace carries its name as a label, for namespace selectors.
  defaults(obj) {
    if (obj.metadata.name) obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    // Required on create (not a default: the namespace controller removes it over the namespace's life).
    const finalizers = namespaceFinalizers(obj);
    if (!finalizers.includes(KUBERNETES_FINALIZER)) obj.spec = { ...(obj.spec as object | undefined), finalizers: [...finalizers, KUBERNETES_FINALIZER] };
  },
  prepareForUpdate(obj, old, opts) {
    const ns = fields(obj);
    if (opts?.subresource === 'finalize') {
      // finalize changes spec.finalizers alone.
      const finalizers = namespaceFinalizers(obj);
      for (const k of Object.keys(obj)) delete obj[k];
      Object.assign(obj, structuredClone(old));
      fields(obj).spec = { ...fields(obj).spec, finalizers };
      return;
    }
    // spec.finalizers change only through finalize; a namespace being deleted is Terminating.
    const oldFinalizers = fields(old).spec?.finalizers;
    if (oldFinalizers === undefined) {
      if (ns.spec) delete ns.spec.finalizers;
    } else {
      ns.spec = { ...ns.spec, finalizers: [...oldFinalizers] };
    }
    if (obj.metadata.deletionTimestamp) ns.status = { ...ns.status, phase: 'Terminating' };
  },
  finalizing: (obj) => namespaceFinalizers(obj).length > 0,
  checkDelete(current) {
    if (current.metadata.deletionTimestamp && namespaceFinalizers(current).length > 0) {
      throw conflict(
        { group: '', resource: 'namespaces' },
        current.metadata.name ?? '',
        'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
      );
    }
  },
};
