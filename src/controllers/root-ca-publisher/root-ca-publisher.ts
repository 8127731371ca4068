/**
 * The root CA publisher (kube's root-ca-certificate-publisher-controller): a `kube-root-ca.crt` ConfigMap in
 * every namespace holding the cluster CA under `ca.crt`, so pods can verify the apiserver; put back when it
 * is deleted or edited.
 */
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isNamespaceTerminating, isNotFound } from '../../client/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import { CONFIGMAPS, NAMESPACES } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

type NamespaceObject = Namespace & KubeObject;
type ConfigMapObject = ConfigMap & KubeObject;

export class RootCAPublisher implements ManagedController {
  readonly name = 'root-ca-certificate-publisher-controller';
  private readonly controller: Controller;
  private namespaces!: SharedInformer<NamespaceObject>;
  private configMaps!: SharedInformer<ConfigMapObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (ns) => this.sync(ns), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    this.namespaces = this.ctx.informers.informerFor<NamespaceObject>(NAMESPACES);
    this.configMaps = this.ctx.informers.informerFor<ConfigMapObject>(CONFIGMAPS);
    this.namespaces.addEventHandler(this.controller.handler((ns) => ns.metadata.name));
    const mine = (cm: ConfigMapObject): string | undefined => (cm.metadata.name === ROOT_CA_CONFIGMAP ? cm.metadata.namespace : undefined);
    this.configMaps.addEventHandler({
      onUpdate: (_old, cm) => {
        const ns = mine(cm);
        if (ns) this.controller.enqueue(ns);
      },
      onDelete: (cm) => {
        const ns = mine(cm);
        if (ns) this.controller.enqueue(ns);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.namespaces.waitForSync(), this.configMaps.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.lister().get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const configMaps = this.ctx.client.resource<ConfigMapObject>(CONFIGMAPS).namespace(namespace);
    const current = this.configMaps.lister().namespace(namespace).get(ROOT_CA_CONFIGMAP);
    const data = { 'ca.crt': this.ctx.rootCA };
    try {
      if (!current) {
        await configMaps.create({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
          data,
        });
        return;
      }
      const sameData = JSON.stringify(current.data ?? {}) === JSON.stringify(data) && !current.binaryData;
      if (sameData && current.metadata.annotations?.[DESCRIPTION_ANNOTATION] === DESCRIPTION) return;
      await configMaps.update({
        ...current,
        metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
        data,
        binaryData: undefined,
      } as ConfigMapObject);
    } catch (err) {
      // Gone, going, or someone else got there first: the next event for it brings us back if need be.
      if (isNamespaceTerminating(err) || isAlreadyExists(err) || (isNotFound(err) && !current)) return;
      // A stale cache (Conflict, NotFound on update): retried with backoff once the cache has caught up.
      throw err;
    }
  }
}
