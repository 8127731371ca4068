/**
 * The EndpointSlice controller (kube's endpointslice-controller): discovery.k8s.io/v1 EndpointSlices for every
 * Service with a selector, labelled `kubernetes.io/service-name` and managed-by
 * `endpointslice-controller.k8s.io`, owned by the Service (so they go with it), following its pods.
 */
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { selectorFromSet } from '../../apimachinery/labels.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { NODES, PODS, SERVICES } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { servicesSelecting } from '../endpoint/endpoint-controller.js';
import { hasSelector } from '../endpoint/util.js';
import { ENDPOINTSLICES, SliceReconciler, type SliceObject } from './reconciler.js';
import { CONTROLLER_NAME, desiredSlices, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, newSlice, sliceLabels } from './slices.js';

type ServiceObject = Service & KubeObject;
type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;

/** Slices filed under their Service's namespace/name (from the service-name label). */
export const SLICE_SERVICE_INDEX = 'endpointslice-service';
export const sliceServiceIndexFunc = (s: SliceObject): string[] => {
  const svc = s.metadata.labels?.[LABEL_SERVICE_NAME];
  return svc ? [`${s.metadata.namespace}/${svc}`] : [];
};

export class EndpointSliceController implements ManagedController {
  readonly name = 'endpointslice-controller';
  private readonly controller: Controller;
  private readonly reconciler: SliceReconciler;
  private services!: SharedInformer<ServiceObject>;
  private pods!: SharedInformer<PodObject>;
  private nodes!: SharedInformer<NodeObject>;
  private slices!: SharedInformer<SliceObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (key) => this.sync(key), logger: ctx.logger.child({ controller: this.name }) });
    this.reconciler = new SliceReconciler(ctx.client);
  }

  async init(): Promise<void> {
    const f = this.ctx.informers;
    this.services = f.informerFor<ServiceObject>(SERVICES);
    this.pods = f.informerFor<PodObject>(PODS);
    this.nodes = f.informerFor<NodeObject>(NODES);
    this.slices = f.informerFor<SliceObject>(ENDPOINTSLICES);
    this.slices.addIndexers({ [SLICE_SERVICE_INDEX]: sliceServiceIndexFunc });
    this.services.addEventHandler(this.controller.handler());
    const podChanged = (pod: PodObject): void => {
      for (const s of servicesSelecting(this.services, pod)) this.controller.enqueue(metaNamespaceKey(s));
    };
    this.pods.addEventHandler({ onAdd: podChanged, onUpdate: (old, pod) => (podChanged(old), podChanged(pod)), onDelete: podChanged });
    const sliceChanged = (s: SliceObject): void => {
      if (s.metadata.labels?.[LABEL_MANAGED_BY] !== CONTROLLER_NAME) return;
      for (const key of sliceServiceIndexFunc(s)) this.controller.enqueue(key);
    };
    this.slices.addEventHandler({ onAdd: sliceChanged, onUpdate: (_o, s) => sliceChanged(s), onDelete: sliceChanged });
  }

  async run(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.pods.waitForSync(), this.nodes.waitForSync(), this.slices.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const service = this.services.lister().namespace(namespace).get(name);
    const mine = this.slices.indexer.byIndex(SLICE_SERVICE_INDEX, key).filter((s) => s.metadata.labels?.[LABEL_MANAGED_BY] === CONTROLLER_NAME);
    // A deleted Service's slices go with it through their owner reference (the garbage collector).
    if (!service || service.metadata.deletionTimestamp) return this.reconciler.forget(key);
    // ExternalName Services and those without a selector get no managed slices (kube's endpointslice controller).
    const wanted = hasSelector(service) && service.spec?.type !== 'ExternalName';
    if (!this.reconciler.caughtUp(key, mine)) return this.controller.enqueueAfter(key, 100);
    const owned = mine.filter((s) => s.metadata.ownerReferences?.some((r) => r.uid === service.metadata.uid));
    try {
      if (!wanted) {
        if (owned.length > 0) await this.reconciler.reconcile(key, namespace, owned, [], {}, () => ({}) as EndpointSlice);
        return;
      }
      const pods = this.pods.lister().namespace(namespace).list(selectorFromSet(service.spec!.selector));
      const desired = desiredSlices(service, pods, (n) => this.nodes.lister().get(n));
      const labels = sliceLabels(service);
      await this.reconciler.reconcile(key, namespace, owned, desired, labels, (d) => newSlice(service, d, labels));
    } catch (err) {
      if (isAlreadyExists(err) || isConflict(err) || isNotFound(err)) return this.controller.enqueueAfter(key, 100);
      throw err;
    }
  }
}
