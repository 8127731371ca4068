/**
 * The endpoints controller (kube's endpoint-controller): a v1 Endpoints object per Service with a selector,
 * named after the Service, listing the addresses of the pods it selects; removed with its Service. Services
 * without a selector keep the Endpoints their owner writes (the `kubernetes` Service's are the apiserver's).
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { selectorFromSet } from '../../apimachinery/labels.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { builtinResource, PODS, SERVICES } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { buildSubsets, endpointsLabels } from './endpoints.js';
import { hasSelector, semanticEqual } from './util.js';

type ServiceObject = Service & KubeObject;
type PodObject = Pod & KubeObject;
type EndpointsObject = Endpoints & KubeObject;

export const ENDPOINTS = builtinResource('', 'v1', 'endpoints');

/** The Services of a pod's namespace whose selector matches its labels (asked with the pod before and after a change). */
export function servicesSelecting(services: SharedInformer<ServiceObject>, pod: Pod): ServiceObject[] {
  const labels = pod.metadata?.labels ?? {};
  return services
    .lister()
    .namespace(pod.metadata?.namespace ?? '')
    .list()
    .filter((s) => hasSelector(s) && selectorFromSet(s.spec!.selector).matches(labels));
}

export class EndpointController implements ManagedController {
  readonly name = 'endpoints-controller';
  private readonly controller: Controller;
  private services!: SharedInformer<ServiceObject>;
  private pods!: SharedInformer<PodObject>;
  private endpoints!: SharedInformer<EndpointsObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (key) => this.sync(key), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    this.services = this.ctx.informers.informerFor<ServiceObject>(SERVICES);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.endpoints = this.ctx.informers.informerFor<EndpointsObject>(ENDPOINTS);
    this.services.addEventHandler(this.controller.handler());
    const podChanged = (pod: PodObject): void => {
      for (const s of servicesSelecting(this.services, pod)) this.controller.enqueue(metaNamespaceKey(s));
    };
    this.pods.addEventHandler({ onAdd: podChanged, onUpdate: (old, pod) => (podChanged(old), podChanged(pod)), onDelete: podChanged });
    // Someone else's write or delete of a managed Endpoints is put right.
    this.endpoints.addEventHandler({ onUpdate: (_o, ep) => this.controller.enqueue(metaNamespaceKey(ep)), onDelete: (ep) => this.controller.enqueue(metaNamespaceKey(ep)) });
  }

  async run(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.pods.waitForSync(), this.endpoints.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const client = this.ctx.client.resource<EndpointsObject>(ENDPOINTS).namespace(namespace);
    const service = this.services.lister().namespace(namespace).get(name);
    const current = this.endpoints.lister().namespace(namespace).get(name);
    try {
      if (!service) {
        // The Service is gone: so are its Endpoints (kube deletes them whoever wrote them).
        if (current) await client.delete(name, { preconditions: { uid: current.metadata.uid } });
        return;
      }
      if (!hasSelector(service)) return;
      const pods = this.pods.lister().namespace(namespace).list(selectorFromSet(service.spec!.selector));
      const subsets = buildSubsets(service, pods);
      const labels = endpointsLabels(service);
      if (current && semanticEqual(current.subsets, subsets) && semanticEqual(current.metadata.labels, labels)) return;
      if (!current) {
        await client.create({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, subsets });
      } else {
        await client.update({ ...current, metadata: { ...current.metadata, labels }, subsets });
      }
    } catch (err) {
      if (isNotFound(err) && !service) return;
      // A stale cache (AlreadyExists, Conflict): the informer brings the newer object and the key back.
      if (isAlreadyExists(err) || isConflict(err)) return this.controller.enqueueAfter(key, 100);
      throw err;
    }
  }
}
