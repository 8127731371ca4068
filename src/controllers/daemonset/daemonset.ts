/**
 * The DaemonSet controller (kube's daemonset-controller): one pod per eligible node, following nodes as they
 * join, leave, change labels or taints, or are cordoned (daemon pods tolerate `unschedulable`). Pods are pinned
 * to their node by a `metadata.name` node affinity and bound by the scheduler. Template history is kept as
 * ControllerRevisions; RollingUpdate replaces pods within maxUnavailable / maxSurge, OnDelete only when a pod
 * is deleted. Expectations keep a sync from creating a node's pod again before the informer has seen it.
 */
import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import { labelSelectorFromMeta } from '../../apimachinery/labels.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNamespaceTerminating, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { UIDTrackingControllerExpectations } from '../../client/expectations.js';
import type { SharedInformer } from '../../client/informer.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/indexer.js';
import { builtinResource, NODES, PODS } from '../../client/resources.js';
import { compileLabelSelector } from '../../scheduler/selectors.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { CONTROLLER_REVISION_HASH_LABEL, CONTROLLER_REVISIONS, RevisionHistory, revisionHash, type ControllerRevisionObject } from '../history/history.js';
import { claimCandidates, claimObjects, CONTROLLER_INDEX, controllerIndexFunc } from '../replicaset/controller-ref.js';
import { controllerRefOf, newControllerRef, type PodObject } from '../replicaset/pods.js';
import { daemonSetStatus, planDaemonSet } from './plan.js';
import { DAEMONSET_OWNER, newDaemonPod, type DaemonSetObject, type NodeObject } from './placement.js';

export const DAEMONSETS = builtinResource('apps', 'v1', 'daemonsets');

/** The node fields that decide placement: a change elsewhere (a heartbeat) is not worth a sync. */
function placementOf(node: NodeObject): string {
  return JSON.stringify([node.metadata.labels ?? {}, node.spec?.taints ?? [], node.spec?.unschedulable ?? false]);
}

export class DaemonSetsController implements ManagedController {
  readonly name = 'daemonset-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  /** Creates and deletes asked for and not yet seen, per DaemonSet key. */
  readonly expectations = new UIDTrackingControllerExpectations();
  private sets!: SharedInformer<DaemonSetObject>;
  private pods!: SharedInformer<PodObject>;
  private nodes!: SharedInformer<NodeObject>;
  private revisionsInformer!: SharedInformer<ControllerRevisionObject>;
  private history!: RevisionHistory;

  constructor(private readonly ctx: ControllerContext) {
    const logger = ctx.logger.child({ controller: this.name });
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncDaemonSet(key), logger });
    this.recorder = new EventRecorder(ctx.client, 'daemonset-controller', '', logger);
  }

  async init(): Promise<void> {
    this.sets = this.ctx.informers.informerFor<DaemonSetObject>(DAEMONSETS);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.pods.addIndexers({ [CONTROLLER_INDEX]: controllerIndexFunc });
    this.nodes = this.ctx.informers.informerFor<NodeObject>(NODES);
    this.revisionsInformer = this.ctx.informers.informerFor<ControllerRevisionObject>(CONTROLLER_REVISIONS);
    this.history = new RevisionHistory(this.ctx.client, this.revisionsInformer, DAEMONSET_OWNER);
    this.sets.addEventHandler({
      onAdd: (ds) => this.controller.enqueue(metaNamespaceKey(ds)),
      onUpdate: (_old, ds) => this.controller.enqueue(metaNamespaceKey(ds)),
      onDelete: (ds) => this.expectations.deleteExpectations(metaNamespaceKey(ds)),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => {
        const key = this.ownerKey(pod);
        if (!key) return this.enqueueAdopters(pod);
        if (pod.metadata.deletionTimestamp) this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
        else this.expectations.creationObserved(key);
        this.controller.enqueue(key);
      },
      onUpdate: (old, pod) => {
        const key = this.ownerKey(pod);
        if (!key) return this.enqueueAdopters(pod);
        // The delete of a pod begins with the update that sets its deletionTimestamp.
        if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
        this.controller.enqueue(key);
      },
      onDelete: (pod) => {
        const key = this.ownerKey(pod);
        if (!key) return;
        this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
        this.controller.enqueue(key);
      },
    });
    const enqueueAll = (): void => {
      for (const ds of this.sets.lister().list()) this.controller.enqueue(metaNamespaceKey(ds));
    };
    this.nodes.addEventHandler({
      onAdd: enqueueAll,
      onUpdate: (old, node) => {
        if (placementOf(old) !== placementOf(node)) enqueueAll();
      },
      onDelete: enqueueAll,
    });
    this.revisionsInformer.addEventHandler({
      onDelete: (rev) => {
        const ref = controllerRefOf(rev);
        if (ref?.kind === 'DaemonSet' && rev.metadata.namespace) this.controller.enqueue(`${rev.metadata.namespace}/${ref.name}`);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.sets.waitForSync(), this.pods.waitForSync(), this.nodes.waitForSync(), this.revisionsInformer.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** For an orphan pod, every DaemonSet whose selector matches it: one of them may adopt it. */
  private enqueueAdopters(pod: PodObject): void {
    if (controllerRefOf(pod) || pod.metadata.deletionTimestamp || !pod.metadata.namespace) return;
    for (const ds of this.sets.lister().namespace(pod.metadata.namespace).list()) {
      if (compileLabelSelector(ds.spec?.selector)(pod.metadata.labels)) this.controller.enqueue(metaNamespaceKey(ds));
    }
  }

  /** The key of the DaemonSet that controls `pod`, if one does and it is still the same object. */
  private ownerKey(pod: PodObject): string | undefined {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'DaemonSet' || !pod.metadata.namespace) return undefined;
    const ds = this.sets.lister().namespace(pod.metadata.namespace).get(ref.name);
    return ds?.metadata.uid === ref.uid ? `${pod.metadata.namespace}/${ref.name}` : undefined;
  }

  /** Makes the DaemonSet `namespace/name` match its spec and the nodes (one level-triggered pass). */
  async syncDaemonSet(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.sets.lister().namespace(namespace).get(name);
    if (!cached) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const ds: DaemonSetObject = { ...cached, ...DAEMONSET_OWNER };
    if (ds.metadata.deletionTimestamp) return;
    const pods = await this.claimPods(ds);
    const nodes = this.nodes.lister().list();
    const revs = await this.history.revisionsFor(ds);
    const hash = revisionHash(revs.update);

    // Until the informer has shown what the last sync created and deleted, only the status is brought up to date.
    if (this.expectations.satisfiedExpectations(key)) {
      const plan = planDaemonSet(ds, nodes, pods, hash);
      await this.syncNodes(key, ds, plan.createOn, plan.delete, hash);
      const live = new Set([revs.update.metadata.name ?? '']);
      for (const pod of pods) {
        const h = pod.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
        const rev = revs.all.find((r) => revisionHash(r) === h);
        if (rev) live.add(rev.metadata.name ?? '');
      }
      await this.history.truncate(ds, revs.all, live);
    }
    const status = daemonSetStatus(ds, nodes, pods, hash);
    await this.updateStatus(ds, { ...status, ...(revs.collisionCount ? { collisionCount: revs.collisionCount } : {}) });
    // A ready pod becomes available after minReadySeconds by the passing of time, not by an event.
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && status.numberAvailable! < status.numberReady) this.controller.enqueueAfter(key, minReady * 1000);
  }

  /** The DaemonSet's pods, adopting orphans its selector matches and releasing those it no longer matches (kube's getDaemonPods). */
  private claimPods(ds: DaemonSetObject): Promise<PodObject[]> {
    const ns = ds.metadata.namespace ?? '';
    return claimObjects(claimCandidates(this.pods.indexer, ds), {
      owner: ds,
      ref: newControllerRef(ds, DAEMONSET_OWNER.apiVersion, DAEMONSET_OWNER.kind),
      selector: labelSelectorFromMeta(ds.spec?.selector),
      client: this.ctx.client.resource<PodObject>(PODS),
      canAdopt: async () => {
        const fresh = await this.ctx.client.resource<DaemonSetObject>(DAEMONSETS).namespace(ns).get(ds.metadata.name ?? '');
        return fresh.metadata.uid === ds.metadata.uid && !fresh.metadata.deletionTimestamp;
      },
    });
  }

  /** Creates and deletes with expectations set first, so their events are waited for (kube's syncNodes). */
  private async syncNodes(key: string, ds: DaemonSetObject, createOn: readonly string[], toDelete: readonly PodObject[], hash: string): Promise<void> {
    if (createOn.length === 0 && toDelete.length === 0) return;
    const ns = ds.metadata.namespace ?? '';
    const pods = this.ctx.client.resource<PodObject>(PODS).namespace(ns);
    this.expectations.expectDeletionsOf(key, toDelete.map((p) => metaNamespaceKey(p)));
    this.expectations.raiseExpectations(key, createOn.length, 0);
    const errors: unknown[] = [];
    await Promise.all([
      ...createOn.map(async (node) => {
        try {
          const pod = await pods.create(newDaemonPod(ds, node, hash));
          void this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
        } catch (err) {
          // It will never be seen: stop waiting for it.
          this.expectations.creationObserved(key);
          if (isNamespaceTerminating(err)) return;
          void this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
          errors.push(err);
        }
      }),
      ...toDelete.map(async (pod) => {
        try {
          await pods.delete(pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
          void this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
          if (isNotFound(err) || isConflict(err)) return;
          void this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
          errors.push(err);
        }
      }),
    ]);
    if (errors.length > 0) throw errors[0];
  }

  private async updateStatus(ds: DaemonSetObject, status: DaemonSetStatus): Promise<void> {
    const old = (ds.status ?? {}) as DaemonSetStatus;
    const next: DaemonSetStatus = { ...status, ...(old.conditions ? { conditions: old.conditions } : {}) };
    const keys = new Set([...Object.keys(old), ...Object.keys(next)]) as Set<keyof DaemonSetStatus>;
    if ([...keys].every((k) => JSON.stringify(old[k] ?? 0) === JSON.stringify(next[k] ?? 0))) return;
    try {
      await this.ctx.client.resource<DaemonSetObject>(DAEMONSETS).namespace(ds.metadata.namespace ?? '').updateStatus({ ...ds, status: next });
    } catch (err) {
      // A newer DaemonSet is on its way through the informer: its sync writes the status.
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  }
}
