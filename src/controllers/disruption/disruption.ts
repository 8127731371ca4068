/**
 * The disruption controller (kube's disruption controller): keeps every PodDisruptionBudget's status — expected
 * pods, desired and current healthy, disruptions allowed, the DisruptionAllowed condition — in step with the pods
 * it selects and, for percentages and maxUnavailable, with the scale of their controllers (ReplicaSets and the
 * Deployments above them, StatefulSets, ReplicationControllers). The eviction subresource spends what it allows.
 */
import type { Pod, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { labelSelectorFromMeta } from '../../apimachinery/labels.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { builtinResource, DEPLOYMENTS, PODS, REPLICASETS } from '../../client/resources.js';
import type { KubeObject, OwnerReference } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { semanticEqual } from '../endpoint/util.js';
import { computeStatus, failSafeStatus, needsScale } from './budget.js';

type PDBObject = PodDisruptionBudget & KubeObject;
type PodObject = Pod & KubeObject;
type Scalable = KubeObject & { spec?: { replicas?: number } };

export const PODDISRUPTIONBUDGETS = builtinResource('policy', 'v1', 'poddisruptionbudgets');
const STATEFULSETS = builtinResource('apps', 'v1', 'statefulsets');
const REPLICATIONCONTROLLERS = builtinResource('', 'v1', 'replicationcontrollers');

const controllerRef = (o: KubeObject): OwnerReference | undefined => o.metadata.ownerReferences?.find((r) => r.controller);

export class DisruptionController implements ManagedController {
  readonly name = 'disruption-controller';
  private readonly controller: Controller;
  private pdbs!: SharedInformer<PDBObject>;
  private pods!: SharedInformer<PodObject>;
  private replicaSets!: SharedInformer<ReplicaSet & KubeObject>;
  private deployments!: SharedInformer<Deployment & KubeObject>;
  private statefulSets!: SharedInformer<StatefulSet & KubeObject>;
  private replicationControllers!: SharedInformer<ReplicationController & KubeObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (key) => this.sync(key), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    const f = this.ctx.informers;
    this.pdbs = f.informerFor<PDBObject>(PODDISRUPTIONBUDGETS);
    this.pods = f.informerFor<PodObject>(PODS);
    this.replicaSets = f.informerFor(REPLICASETS);
    this.deployments = f.informerFor(DEPLOYMENTS);
    this.statefulSets = f.informerFor(STATEFULSETS);
    this.replicationControllers = f.informerFor(REPLICATIONCONTROLLERS);
    this.pdbs.addEventHandler(this.controller.handler());
    const podChanged = (p: PodObject): void => this.enqueueBudgetsOf(p.metadata.namespace!, p.metadata.labels ?? {});
    this.pods.addEventHandler({ onAdd: podChanged, onUpdate: (old, p) => (podChanged(old), podChanged(p)), onDelete: podChanged });
    // A controller's scale changes the expected count of budgets over its pods.
    const scaleChanged = (o: KubeObject): void => this.enqueueBudgetsOf(o.metadata.namespace!, undefined);
    for (const i of [this.replicaSets, this.deployments, this.statefulSets, this.replicationControllers] as SharedInformer<KubeObject>[]) {
      i.addEventHandler({ onUpdate: (old, o) => ((old.spec as Scalable['spec'])?.replicas !== (o.spec as Scalable['spec'])?.replicas ? scaleChanged(o) : undefined), onDelete: scaleChanged });
    }
  }

  async run(): Promise<void> {
    const all = [this.pdbs, this.pods, this.replicaSets, this.deployments, this.statefulSets, this.replicationControllers] as SharedInformer<KubeObject>[];
    await Promise.all(all.map((i) => i.waitForSync()));
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** Enqueues the namespace's budgets selecting these labels (every budget of it without labels). */
  private enqueueBudgetsOf(namespace: string, labels: Record<string, string> | undefined): void {
    for (const pdb of this.pdbs.lister().namespace(namespace).list()) {
      if (labels === undefined || this.selects(pdb, labels)) this.controller.enqueue(metaNamespaceKey(pdb));
    }
  }

  private selects(pdb: PDBObject, labels: Record<string, string>): boolean {
    try {
      return labelSelectorFromMeta(pdb.spec?.selector).matches(labels);
    } catch {
      return false;
    }
  }

  /** The summed replicas of the pods' controllers, each counted once (kube's getExpectedScale); throws for a pod without one. */
  expectedScale(pods: PodObject[]): number {
    const seen = new Map<string, number>();
    for (const pod of pods) {
      const ref = controllerRef(pod);
      if (!ref) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      const found = this.scaleOf(pod.metadata.namespace!, ref);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      seen.set(found.uid, found.replicas);
    }
    return [...seen.values()].reduce((a, b) => a + b, 0);
  }

  /** The controller owning a pod and its scale; a ReplicaSet under a Deployment answers for the Deployment. */
  private scaleOf(namespace: string, ref: OwnerReference): { uid: string; replicas: number } | undefined {
    const get = <T extends Scalable>(i: SharedInformer<T>): T | undefined => {
      const o = i.lister().namespace(namespace).get(ref.name);
      return o && o.metadata.uid === ref.uid ? o : undefined;
    };
    if (ref.kind === 'ReplicaSet' && ref.apiVersion.startsWith('apps/')) {
      const rs = get(this.replicaSets as SharedInformer<Scalable>);
      if (!rs) return undefined;
      const up = controllerRef(rs);
      if (up?.kind === 'Deployment') {
        const d = this.deployments.lister().namespace(namespace).get(up.name);
        if (d && d.metadata.uid === up.uid) return { uid: up.uid, replicas: d.spec?.replicas ?? 1 };
      }
      return { uid: ref.uid, replicas: rs.spec?.replicas ?? 1 };
    }
    const informer = ref.kind === 'StatefulSet' ? this.statefulSets : ref.kind === 'ReplicationController' ? this.replicationControllers : undefined;
    const owner = informer ? get(informer as SharedInformer<Scalable>) : undefined;
    return owner ? { uid: ref.uid, replicas: owner.spec?.replicas ?? 1 } : undefined;
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const pdb = this.pdbs.lister().namespace(namespace).get(name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const pods = this.pods.lister().namespace(namespace).list().filter((p) => this.selects(pdb, p.metadata.labels ?? {}));
    const now = Date.now();
    let status: PodDisruptionBudgetStatus;
    let recheckAtMs: number | undefined;
    try {
      const expectedScale = needsScale(pdb) ? this.expectedScale(pods) : undefined;
      ({ status, recheckAtMs } = computeStatus({ pdb, pods, ...(expectedScale !== undefined ? { expectedScale } : {}), nowMs: now }));
    } catch (err) {
      status = failSafeStatus(pdb, err instanceof Error ? err.message : String(err), now);
    }
    if (recheckAtMs !== undefined) this.controller.enqueueAfter(key, recheckAtMs - now + 10);
    if (semanticEqual(status, pdb.status)) return;
    try {
      await this.ctx.client.resource<PDBObject>(PODDISRUPTIONBUDGETS).namespace(namespace).updateStatus({ ...pdb, status });
    } catch (err) {
      if (isNotFound(err)) return;
      // An eviction spent a disruption meanwhile: recompute from the newer object.
      if (isConflict(err)) return this.controller.enqueueAfter(key, 50);
      throw err;
    }
  }
}
