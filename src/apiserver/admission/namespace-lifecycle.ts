/**
 * NamespaceLifecycle: objects may only be created in a namespace that exists, and the namespaces the
 * system needs may not be deleted.
 */
import { forbidden, notFound } from '../../apimachinery/status.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';

/** The namespaces `k8ts up` creates and keeps. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;
const UNDELETABLE = new Set(['default', 'kube-system', 'kube-public']);

export class NamespaceLifecycle implements AdmissionPlugin {
  readonly name = 'NamespaceLifecycle';

  /** `namespaceExists` reads the (fresh) namespaces cache. */
  constructor(private readonly namespaceExists: (name: string) => Promise<boolean>) {}

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation === 'DELETE' && attrs.resource.group === '' && attrs.resource.resource === 'namespaces' && UNDELETABLE.has(attrs.name)) {
      const err = forbidden('', 'delete', { group: '', resource: 'namespaces' }, undefined, '');
      err.status.message = `namespaces "${attrs.name}" is forbidden: this namespace may not be deleted`;
      throw err;
    }
    if (attrs.operation !== 'CREATE' || !attrs.resource.namespaced || !attrs.namespace) return;
    if (!(await this.namespaceExists(attrs.namespace))) throw notFound({ group: '', resource: 'namespaces' }, attrs.namespace);
  }
}

