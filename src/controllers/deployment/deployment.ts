/**
 * The Deployment controller (kube's deployment-controller): owns ReplicaSets named
 * `<deployment>-<pod-template-hash>`, one per template revision, and moves pods from the old ones to the new
 * one by the strategy (RollingUpdate within maxSurge/maxUnavailable, or Recreate), scales proportionally when
 * resized mid-rollout, keeps revisionHistoryLimit old ReplicaSets, and reports progress in status.
 */
import { labelSelectorFromMeta } from '../../apimachinery/labels.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { metaNamespaceKey, OWNER_UID_INDEX, ownerUIDIndexFunc, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../../client/resources.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { claimCandidates, claimObjects, CONTROLLER_INDEX, controllerIndexFunc } from '../replicaset/controller-ref.js';
import { controllerRefOf, isPodActive, newControllerRef, type PodObject } from '../replicaset/pods.js';
import { isSaturated, newRSNewReplicas, planOldReplicaSets, planScale, type ScalePlan } from './rolling.js';
import { deploymentComplete, PAUSED_REASON, PROGRESSING, RESUMED_REASON, rolloutStatus, statusChanged } from './status.js';
import {
  computeHash,
  DEFAULT_DEPLOYMENT_UNIQUE_LABEL,
  DESIRED_REPLICAS_ANNOTATION,
  equalIgnoreHash,
  findNewReplicaSet,
  getCondition,
  maxRevision,
  newCondition,
  replicaSetAnnotations,
  replicasOf,
  REVISION_ANNOTATION,
  revisionOf,
  setCondition,
  type DeploymentObject,
  type ReplicaSetObject,
} from './util.js';

export class DeploymentController implements ManagedController {
  readonly name = 'deployment-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private deployments!: SharedInformer<DeploymentObject>;
  private sets!: SharedInformer<ReplicaSetObject>;
  private pods!: SharedInformer<PodObject>;

  constructor(private readonly ctx: ControllerContext) {
    const log = ctx.logger.child({ controller: this.name });
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncDeployment(key), logger: log });
    this.recorder = new EventRecorder(ctx.client, this.name, '', log);
  }

  async init(): Promise<void> {
    this.deployments = this.ctx.informers.informerFor<DeploymentObject>(DEPLOYMENTS);
    this.sets = this.ctx.informers.informerFor<ReplicaSetObject>(REPLICASETS);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.sets.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc, [CONTROLLER_INDEX]: controllerIndexFunc });
    this.pods.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc });
    this.deployments.addEventHandler(this.controller.handler());
    this.sets.addEventHandler({
      onAdd: (rs) => this.replicaSetChanged(rs),
      onUpdate: (old, rs) => {
        if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
        const oldRef = controllerRefOf(old);
        if (oldRef && oldRef.uid !== controllerRefOf(rs)?.uid) this.replicaSetChanged(old);
        this.replicaSetChanged(rs);
      },
      onDelete: (rs) => this.replicaSetChanged(rs),
    });
    // Recreate waits for the old pods to be gone.
    this.pods.addEventHandler({
      onDelete: (pod) => {
        const rsRef = controllerRefOf(pod);
        const rs = rsRef && this.sets.lister().namespace(pod.metadata.namespace ?? '').get(rsRef.name);
        if (rs) this.replicaSetChanged(rs);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.deployments.waitForSync(), this.sets.waitForSync(), this.pods.waitForSync()]);
    this.controller.run(5);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** Queues the Deployment that owns `rs`, or, for an orphan, every Deployment that selects it. */
  private replicaSetChanged(rs: ReplicaSetObject): void {
    const ns = rs.metadata.namespace ?? '';
    const ref = controllerRefOf(rs);
    if (ref) {
      if (ref.kind !== 'Deployment') return;
      const d = this.deployments.lister().namespace(ns).get(ref.name);
      if (d && d.metadata.uid === ref.uid) this.controller.enqueue(metaNamespaceKey(d));
      return;
    }
    for (const d of this.deployments.lister().namespace(ns).list()) {
      if (labelSelectorFromMeta(d.spec?.selector).matches(rs.metadata.labels ?? {})) this.controller.enqueue(metaNamespaceKey(d));
    }
  }

  private rsClient(ns: string) {
    return this.ctx.client.resource<ReplicaSetObject>(REPLICASETS).namespace(ns);
  }

  /** One level-triggered pass for the Deployment `namespace/name` (the work queue's handler; public for tests). */
  async syncDeployment(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.deployments.lister().namespace(namespace).get(name);
    if (!cached) return;
    const d = structuredClone(cached);
    const selector = labelSelectorFromMeta(d.spec?.selector);
    // An empty selector would take every pod of the namespace: kube refuses to act on it.
    if (selector.empty()) {
      void this.recorder.event(this.withKind(d), 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const sets = await claimObjects(claimCandidates(this.sets.indexer, d), {
      owner: d,
      ref: newControllerRef(d, 'apps/v1', 'Deployment'),
      selector,
      client: this.ctx.client.resource<ReplicaSetObject>(REPLICASETS),
      canAdopt: async () => {
        const fresh = await this.ctx.client.resource<DeploymentObject>(DEPLOYMENTS).namespace(namespace).get(name);
        return fresh.metadata.uid === d.metadata.uid && !fresh.metadata.deletionTimestamp;
      },
    });
    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(d, sets);

    const pausedChanged = this.pausedCondition(d);
    if (d.spec?.paused) {
      await this.scaleOnly(d, sets, false);
      if (pausedChanged) await this.syncStatusOnly(d, sets);
      return;
    }
    if (this.isScalingEvent(d, sets)) return this.scaleOnly(d, sets, true);
    if (d.spec?.strategy?.type === 'Recreate') return this.rolloutRecreate(d, sets);
    return this.rolloutRolling(d, sets);
  }

  /** Sets Progressing Unknown DeploymentPaused / DeploymentResumed as pausing changes; answers whether it did. */
  private pausedCondition(d: DeploymentObject): boolean {
    if (d.spec?.progressDeadlineSeconds === undefined) return false;
    const cond = getCondition(d, PROGRESSING);
    const conditions = d.status?.conditions ?? [];
    if (d.spec.paused && cond?.reason !== PAUSED_REASON) {
      d.status = { ...d.status, conditions: setCondition(conditions, newCondition(PROGRESSING, 'Unknown', PAUSED_REASON, 'Deployment is paused')) };
      return true;
    }
    if (!d.spec.paused && cond?.reason === PAUSED_REASON) {
      d.status = { ...d.status, conditions: setCondition(conditions, newCondition(PROGRESSING, 'Unknown', RESUMED_REASON, 'Deployment is resumed')) };
      return true;
    }
    return false;
  }

  /** Whether some active ReplicaSet was sized for a different replica count (kube's isScalingEvent). */
  private isScalingEvent(d: DeploymentObject, sets: ReplicaSetObject[]): boolean {
    const desired = String(d.spec?.replicas ?? 1);
    return sets.some((rs) => replicasOf(rs) > 0 && rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] !== desired);
  }

  /** Resizes without rolling (a scale, or a paused Deployment): proportional sizes, then status. */
  private async scaleOnly(d: DeploymentObject, sets: ReplicaSetObject[], withStatus: boolean): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(d, sets, false);
    await this.applyPlan(d, [...(newRS ? [newRS] : []), ...oldRSs], planScale(d, newRS, oldRSs));
    if (d.spec?.paused && this.isDone(d, newRS, oldRSs)) await this.cleanup(d, oldRSs);
    if (withStatus || d.spec?.paused) await this.syncStatus(d, [...(newRS ? [newRS] : []), ...oldRSs], newRS);
  }

  private isDone(d: DeploymentObject, newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): boolean {
    return !!newRS && isSaturated(d, newRS) && oldRSs.every((rs) => replicasOf(rs) === 0);
  }

  private async rolloutRolling(d: DeploymentObject, sets: ReplicaSetObject[]): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(d, sets, true);
    const all = [newRS!, ...oldRSs];
    // Grow the new ReplicaSet first; a step that wrote waits for the next event.
    const target = replicasOf(newRS) > (d.spec?.replicas ?? 1) ? (d.spec?.replicas ?? 1) : newRSNewReplicas(d, all, newRS!);
    if (target !== replicasOf(newRS)) {
      await this.applyPlan(d, all, new Map([[newRS!.metadata.name ?? '', target]]));
      return this.syncStatus(d, all, newRS);
    }
    const plan = planOldReplicaSets(d, all, oldRSs, newRS);
    if (await this.applyPlan(d, all, plan)) return this.syncStatus(d, all, newRS);
    if (deploymentComplete(d, d.status ?? {}) || this.isDone(d, newRS, oldRSs)) await this.cleanup(d, oldRSs);
    return this.syncStatus(d, all, newRS);
  }

  private async rolloutRecreate(d: DeploymentObject, sets: ReplicaSetObject[]): Promise<void> {
    let { newRS, oldRSs } = await this.newAndOld(d, sets, false);
    const all = (): ReplicaSetObject[] => [...(newRS ? [newRS] : []), ...oldRSs];
    const downPlan: ScalePlan = new Map(oldRSs.filter((rs) => replicasOf(rs) > 0).map((rs) => [rs.metadata.name ?? '', 0]));
    if (await this.applyPlan(d, all(), downPlan)) return this.syncStatus(d, all(), newRS);
    // The new pods start only once every old pod is gone.
    const oldPodsRunning = oldRSs.some(
      (rs) => (rs.status?.replicas ?? 0) > 0 || this.pods.indexer.byIndex(OWNER_UID_INDEX, rs.metadata.uid ?? '').some((p) => isPodActive(p) || !!p.metadata.deletionTimestamp),
    );
    if (oldPodsRunning) return this.syncStatus(d, all(), newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.newAndOld(d, sets, true));
    if (await this.applyPlan(d, all(), new Map([[newRS?.metadata.name ?? '', d.spec?.replicas ?? 1]]))) return this.syncStatus(d, all(), newRS);
    if (this.isDone(d, newRS, oldRSs)) await this.cleanup(d, oldRSs);
    return this.syncStatus(d, all(), newRS);
  }

  /**
   * The new ReplicaSet (created when `create` and missing, its revision raised above the old ones') and the
   * old ones; the Deployment's revision annotation follows the new one's (kube's getAllReplicaSetsAndSyncRevision).
   */
  private async newAndOld(d: DeploymentObject, sets: ReplicaSetObject[], create: boolean): Promise<{ newRS: ReplicaSetObject | undefined; oldRSs: ReplicaSetObject[] }> {
    const existing = findNewReplicaSet(d, sets);
    const oldRSs = sets.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    let newRS = existing;
    if (existing) {
      const annotations = replicaSetAnnotations(d, existing.metadata.annotations, Math.max(revisionOf(existing), newRevision));
      if (revisionOf(existing) < newRevision || existing.metadata.annotations?.[REVISION_ANNOTATION] !== annotations[REVISION_ANNOTATION] || (existing.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0)) {
        newRS = await this.rsClient(d.metadata.namespace ?? '').update({ ...existing, metadata: { ...existing.metadata, annotations }, spec: { ...existing.spec!, minReadySeconds: d.spec?.minReadySeconds ?? 0 } });
      }
      if (!getCondition(d, PROGRESSING) && !d.spec?.paused) {
        d.status = { ...d.status, conditions: setCondition(d.status?.conditions ?? [], newCondition(PROGRESSING, 'True', 'FoundNewReplicaSet', `Found new replica set "${existing.metadata.name}"`)) };
      }
    } else if (create) {
      newRS = await this.createNewReplicaSet(d, sets, newRevision);
    }
    if (newRS) await this.syncDeploymentRevision(d, revisionOf(newRS));
    return { newRS, oldRSs };
  }

  private async syncDeploymentRevision(d: DeploymentObject, revision: number): Promise<void> {
    if (d.metadata.annotations?.[REVISION_ANNOTATION] === String(revision)) return;
    const updated = await this.ctx.client.resource<DeploymentObject>(DEPLOYMENTS).namespace(d.metadata.namespace ?? '').update({
      ...d,
      metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [REVISION_ANNOTATION]: String(revision) } },
    });
    d.metadata = updated.metadata;
  }

  private async createNewReplicaSet(d: DeploymentObject, sets: ReplicaSetObject[], revision: number): Promise<ReplicaSetObject> {
    const ns = d.metadata.namespace ?? '';
    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [DEFAULT_DEPLOYMENT_UNIQUE_LABEL]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [DEFAULT_DEPLOYMENT_UNIQUE_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const replicas = newRSNewReplicas(d, sets, { spec: { replicas: 0, selector } });
    const rs: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: ns,
        labels: { ...template.metadata.labels },
        annotations: replicaSetAnnotations(d, undefined, revision),
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    try {
      const created = await this.rsClient(ns).create(rs);
      void this.recorder.event(this.withKind(d), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
      d.status = { ...d.status, conditions: setCondition(d.status?.conditions ?? [], newCondition(PROGRESSING, 'True', 'NewReplicaSetCreated', `Created new replica set "${name}"`)) };
      return created;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      // Ours but not yet in the cache, or a hash collision with someone else's ReplicaSet.
      const other = await this.rsClient(ns).get(name);
      if (controllerRefOf(other)?.uid === d.metadata.uid && equalIgnoreHash(other.spec?.template, d.spec?.template)) return other;
      const collisionCount = (d.status?.collisionCount ?? 0) + 1;
      await this.ctx.client.resource<DeploymentObject>(DEPLOYMENTS).namespace(ns).updateStatus({ ...d, status: { ...d.status, collisionCount } });
      throw new Error(`hash collision for ReplicaSet ${name}; collisionCount is now ${collisionCount}`);
    }
  }

  /** Writes the sizes in `plan` (with the replica annotations); answers whether anything was written. */
  private async applyPlan(d: DeploymentObject, sets: ReplicaSetObject[], plan: ScalePlan): Promise<boolean> {
    let wrote = false;
    for (const [name, replicas] of plan) {
      const rs = sets.find((s) => s.metadata.name === name);
      if (!rs) continue;
      const annotations = replicaSetAnnotations(d, rs.metadata.annotations, undefined);
      if (replicasOf(rs) === replicas && annotations[DESIRED_REPLICAS_ANNOTATION] === rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION]) continue;
      const updated = await this.rsClient(rs.metadata.namespace ?? '').update({ ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec!, replicas } });
      const verb = replicas > replicasOf(rs) ? 'up' : 'down';
      if (replicas !== replicasOf(rs)) void this.recorder.event(this.withKind(d), 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${name} from ${replicasOf(rs)} to ${replicas}`);
      sets[sets.indexOf(rs)] = updated;
      wrote = true;
    }
    return wrote;
  }

  /** Deletes the oldest unused ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(d: DeploymentObject, oldRSs: ReplicaSetObject[]): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit ?? 10;
    const unused = oldRSs.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp);
    const extra = unused.length - limit;
    if (extra <= 0) return;
    unused.sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of unused.slice(0, extra)) {
      try {
        await this.rsClient(rs.metadata.namespace ?? '').delete(rs.metadata.name ?? '', { preconditions: { uid: rs.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async syncStatusOnly(d: DeploymentObject, sets: ReplicaSetObject[]): Promise<void> {
    const newRS = findNewReplicaSet(d, sets);
    await this.syncStatus(d, sets, newRS);
  }

  private async syncStatus(d: DeploymentObject, all: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): Promise<void> {
    const { status, recheckMs } = rolloutStatus(d, all, newRS);
    if (recheckMs !== undefined) this.controller.enqueueAfter(metaNamespaceKey(d), recheckMs);
    const cached = this.deployments.lister().namespace(d.metadata.namespace ?? '').get(d.metadata.name ?? '');
    if (!statusChanged(cached?.status, status)) return;
    try {
      await this.ctx.client.resource<DeploymentObject>(DEPLOYMENTS).namespace(d.metadata.namespace ?? '').updateStatus({ ...d, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private withKind(d: DeploymentObject): DeploymentObject {
    return { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
  }
}
