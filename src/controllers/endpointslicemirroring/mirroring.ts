/**
 * The EndpointSlice mirroring controller (kube's endpointslicemirroring-controller): custom Endpoints of a
 * Service without a selector are mirrored into EndpointSlices (managed-by
 * `endpointslicemirroring-controller.k8s.io`, owned by the Endpoints), so slice readers see them too. Endpoints
 * labelled `endpointslice.kubernetes.io/skip-mirror: "true"` (the apiserver's `kubernetes` ones) are skipped.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort as SlicePort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { SERVICES } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { ENDPOINTS } from '../endpoint/endpoint-controller.js';
import { hasSelector, isIPv6 } from '../endpoint/util.js';
import { SLICE_SERVICE_INDEX, sliceServiceIndexFunc } from '../endpointslice/endpointslice.js';
import { ENDPOINTSLICES, SliceReconciler, type SliceObject } from '../endpointslice/reconciler.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME, MAX_ENDPOINTS_PER_SLICE, type AddressType, type DesiredSlice } from '../endpointslice/slices.js';

type ServiceObject = Service & KubeObject;
type EndpointsObject = Endpoints & KubeObject;

export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';

/** The slices mirroring an Endpoints object: per subset, per address type, chunked (kube's reconciler). */
export function mirroredSlices(endpoints: Endpoints): DesiredSlice[] {
  const groups = new Map<string, DesiredSlice>();
  for (const subset of endpoints.subsets ?? []) {
    const ports: SlicePort[] = (subset.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const all = [...(subset.addresses ?? []).map((a) => ({ a, ready: true })), ...(subset.notReadyAddresses ?? []).map((a) => ({ a, ready: false }))];
    for (const { a, ready } of all) {
      const addressType: AddressType = isIPv6(a.ip) ? 'IPv6' : 'IPv4';
      const key = `${addressType}/${JSON.stringify(ports)}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { addressType, ports, endpoints: [] }));
      const ep: Endpoint = {
        addresses: [a.ip],
        conditions: { ready },
        ...(a.hostname ? { hostname: a.hostname } : {}),
        ...(a.targetRef ? { targetRef: a.targetRef } : {}),
        ...(a.nodeName ? { nodeName: a.nodeName } : {}),
      };
      g.endpoints.push(ep);
    }
  }
  const out: DesiredSlice[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) out.push({ ...g, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  }
  return out;
}

/** The labels of mirrored slices: the Endpoints' own, the service name and this manager. */
export function mirroredLabels(endpoints: Endpoints): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(endpoints.metadata?.labels ?? {})) if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY) labels[k] = v;
  labels[LABEL_SERVICE_NAME] = endpoints.metadata?.name ?? '';
  labels[LABEL_MANAGED_BY] = MIRRORING_CONTROLLER_NAME;
  return labels;
}

export class EndpointSliceMirroringController implements ManagedController {
  readonly name = 'endpointslicemirroring-controller';
  private readonly controller: Controller;
  private readonly reconciler: SliceReconciler;
  private services!: SharedInformer<ServiceObject>;
  private endpoints!: SharedInformer<EndpointsObject>;
  private slices!: SharedInformer<SliceObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (key) => this.sync(key), logger: ctx.logger.child({ controller: this.name }) });
    this.reconciler = new SliceReconciler(ctx.client);
  }

  async init(): Promise<void> {
    const f = this.ctx.informers;
    this.services = f.informerFor<ServiceObject>(SERVICES);
    this.endpoints = f.informerFor<EndpointsObject>(ENDPOINTS);
    this.slices = f.informerFor<SliceObject>(ENDPOINTSLICES);
    this.slices.addIndexers({ [SLICE_SERVICE_INDEX]: sliceServiceIndexFunc });
    this.services.addEventHandler(this.controller.handler());
    this.endpoints.addEventHandler(this.controller.handler());
    const sliceChanged = (s: SliceObject): void => {
      if (s.metadata.labels?.[LABEL_MANAGED_BY] !== MIRRORING_CONTROLLER_NAME) return;
      for (const key of sliceServiceIndexFunc(s)) this.controller.enqueue(key);
    };
    this.slices.addEventHandler({ onAdd: sliceChanged, onUpdate: (_o, s) => sliceChanged(s), onDelete: sliceChanged });
  }

  async run(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.endpoints.waitForSync(), this.slices.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const service = this.services.lister().namespace(namespace).get(name);
    const endpoints = this.endpoints.lister().namespace(namespace).get(name);
    const mine = this.slices.indexer.byIndex(SLICE_SERVICE_INDEX, key).filter((s) => s.metadata.labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME);
    if (!this.reconciler.caughtUp(key, mine)) return this.controller.enqueueAfter(key, 100);
    const mirror = endpoints && service && !hasSelector(service) && endpoints.metadata.labels?.[LABEL_SKIP_MIRROR] !== 'true';
    try {
      if (!mirror) {
        if (mine.length > 0) await this.reconciler.reconcile(key, namespace, mine, [], {}, () => ({}) as EndpointSlice);
        return;
      }
      // Slices of an earlier Endpoints object of the same name are not ours to keep.
      const owned = mine.filter((s) => s.metadata.ownerReferences?.some((r) => r.uid === endpoints.metadata.uid));
      const stale = mine.filter((s) => !owned.includes(s));
      if (stale.length > 0) await this.reconciler.reconcile(`${key}#stale`, namespace, stale, [], {}, () => ({}) as EndpointSlice);
      const labels = mirroredLabels(endpoints);
      await this.reconciler.reconcile(key, namespace, owned, mirroredSlices(endpoints), labels, (d) => ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${name}-`,
          namespace,
          labels,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name, uid: endpoints.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        addressType: d.addressType,
        endpoints: d.endpoints,
        ports: d.ports,
      }));
    } catch (err) {
      if (isAlreadyExists(err) || isConflict(err) || isNotFound(err)) return this.controller.enqueueAfter(key, 100);
      throw err;
    }
  }
}
