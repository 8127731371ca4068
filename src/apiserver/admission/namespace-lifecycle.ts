/**
 * NamespaceLifecycle: objects may only be created in a namespace that exists and is not being terminated,
 * and the namespaces the system needs may not be deleted.
 */
import { forbidden, notFound, type StatusError } from '../../apimachinery/status.js';
import { admissionForbidden, type AdmissionAttributes, type AdmissionPlugin } from './admission.js';

/** The namespaces `k8ts up` creates and keeps. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
const UNDELETABLE = new Set(['default', 'kube-system', 'kube-public']);

/** What admission needs to know of a namespace: whether it exists and its phase. */
export interface NamespaceState {
  phase: string;
}

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';

  /**
   * `lookup` reads the (fresh) namespaces cache: the namespace's state, or undefined when it does not exist.
   * A bare `true` says only that it exists (its phase unknown, taken as Active): pass the state so creates in
   * a terminating namespace are refused.
   */
  constructor(private readonly lookup: (name: string) => Promise<NamespaceState | boolean | undefined>) {}

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation === 'DELETE' && attrs.resource.group === '' && attrs.resource.resource === 'namespaces' && UNDELETABLE.has(attrs.name)) {
      const err = forbidden('', 'delete', { group: '', resource: 'namespaces' }, undefined, '');
      err.status.message = `namespaces "${attrs.name}" is forbidden: this namespace may not be deleted`;
      throw err;
    }
    if (attrs.operation !== 'CREATE' || !attrs.resource.namespaced || !attrs.namespace) return;
    const ns = await this.lookup(attrs.namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, attrs.namespace);
    if (typeof ns === 'object' && ns.phase === 'Terminating') throw namespaceTerminating(attrs);
  }
}

/**
 * kube's answer to a create in a terminating namespace: a 403 naming the object (or its generateName, as
 * admission.NewForbidden does before names are generated) with a NamespaceTerminating cause.
 */
function namespaceTerminating(attrs: AdmissionAttributes): StatusError {
  return admissionForbidden(attrs, `unable to create new content in namespace ${attrs.namespace} because it is being terminated`, [
    { reason: 'NamespaceTerminating', message: `namespace ${attrs.namespace} is being terminated`, field: 'metadata.namespace' },
  ]);
}
