/**
 * The ReplicaSet controller (kube's replicaset-controller), also run for ReplicationControllers
 * (replicationcontroller): keeps `spec.replicas` active pods stamped from `spec.template`, adopting matching
 * orphans and releasing pods that stop matching, creating in slow-start batches and deleting the cheapest
 * pods first, with expectations so a pod not yet in the cache is not created twice; and writes status.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { labelSelectorFromMeta, selectorFromSet, type LabelSelector } from '../../apimachinery/labels.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNamespaceTerminating, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { UIDTrackingControllerExpectations } from '../../client/expectations.js';
import { metaNamespaceKey, OWNER_UID_INDEX, ownerUIDIndexFunc, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { builtinResource, PODS } from '../../client/resources.js';
import type { KubeObject, OwnerReference, ResourceRef } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { claimCandidates, claimObjects, CONTROLLER_INDEX, controllerIndexFunc } from './controller-ref.js';
import { controllerRefOf, isPodActive, isPodReady, newControllerRef, podFromTemplate, type PodObject } from './pods.js';
import { podsToDelete, slowStartBatch } from './ranking.js';
import { calculateStatus, statusChanged } from './status.js';

/** At most this many creates or deletes per sync (kube's BurstReplicas). */
export const BURST_REPLICAS = 500;

/** What differs between the ReplicaSet and the ReplicationController flavours. */
export interface ReplicaSetKind {
  name: string;
  /** The event source component. */
  component: string;
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  selectorOf(obj: ReplicaSetObject): LabelSelector;
}

export type ReplicaSetObject = ReplicaSet & KubeObject;

export const REPLICASET_KIND: ReplicaSetKind = {
  name: 'replicaset-controller',
  component: 'replicaset-controller',
  ref: builtinResource('apps', 'v1', 'replicasets'),
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  selectorOf: (rs) => labelSelectorFromMeta(rs.spec?.selector),
};

export const REPLICATIONCONTROLLER_KIND: ReplicaSetKind = {
  name: 'replicationcontroller-controller',
  component: 'replication-controller',
  ref: builtinResource('', 'v1', 'replicationcontrollers'),
  apiVersion: 'v1',
  kind: 'ReplicationController',
  // An RC's selector is a plain map; an empty one selects nothing (defaulting fills it from the template).
  selectorOf: (rc) => {
    const sel = rc.spec?.selector as unknown as Record<string, string> | undefined;
    return sel && Object.keys(sel).length > 0 ? selectorFromSet(sel) : labelSelectorFromMeta(undefined);
  },
};

export class ReplicaSetController implements ManagedController {
  readonly name: string;
  readonly expectations = new UIDTrackingControllerExpectations();
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private sets!: SharedInformer<ReplicaSetObject>;
  private pods!: SharedInformer<PodObject>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly kind: ReplicaSetKind = REPLICASET_KIND,
  ) {
    this.name = kind.name;
    const log = ctx.logger.child({ controller: this.name });
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncReplicaSet(key), logger: log });
    this.recorder = new EventRecorder(ctx.client, kind.component, '', log);
  }

  async init(): Promise<void> {
    this.sets = this.ctx.informers.informerFor<ReplicaSetObject>(this.kind.ref);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.pods.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc, [CONTROLLER_INDEX]: controllerIndexFunc });
    this.sets.addIndexers({ [OWNER_UID_INDEX]: ownerUIDIndexFunc });
    this.sets.addEventHandler(this.controller.handler());
    this.pods.addEventHandler({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, pod) => this.updatePod(old, pod),
      onDelete: (pod) => this.deletePod(pod),
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.sets.waitForSync(), this.pods.waitForSync()]);
    this.controller.run(5);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** The controller of `pod` if it is one of ours. */
  private ownerKey(pod: PodObject, ref: OwnerReference | undefined = controllerRefOf(pod)): string | undefined {
    if (!ref || ref.kind !== this.kind.kind || ref.apiVersion !== this.kind.apiVersion) return undefined;
    const rs = this.sets.lister().namespace(pod.metadata.namespace ?? '').get(ref.name);
    return rs && rs.metadata.uid === ref.uid ? metaNamespaceKey(rs) : undefined;
  }

  /** Every set whose selector matches an orphan `pod` (one of them may adopt it). */
  private enqueueMatching(pod: PodObject): void {
    for (const rs of this.sets.lister().namespace(pod.metadata.namespace ?? '').list()) {
      if (this.kind.selectorOf(rs).matches(pod.metadata.labels ?? {})) this.controller.enqueue(metaNamespaceKey(rs));
    }
  }

  private addPod(pod: PodObject): void {
    if (pod.metadata.deletionTimestamp) return this.deletePod(pod);
    const ref = controllerRefOf(pod);
    if (ref) {
      const key = this.ownerKey(pod, ref);
      if (!key) return;
      this.expectations.creationObserved(key);
      this.controller.enqueue(key);
      return;
    }
    this.enqueueMatching(pod);
  }

  private updatePod(old: PodObject, pod: PodObject): void {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {});
    if (pod.metadata.deletionTimestamp) {
      // Graceful deletion: the pod is on its way out; count it as deleted now so a replacement starts.
      this.deletePod(pod);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const oldRef = controllerRefOf(old);
    const ref = controllerRefOf(pod);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const key = this.ownerKey(old, oldRef);
      if (key) this.controller.enqueue(key);
    }
    if (ref) {
      const key = this.ownerKey(pod, ref);
      if (!key) return;
      this.controller.enqueue(key);
      // Becoming ready starts the minReadySeconds clock: look again when it runs out.
      const rs = this.sets.indexer.get(key);
      const minReady = rs?.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.controller.enqueueAfter(key, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || oldRef) this.enqueueMatching(pod);
  }

  private deletePod(pod: PodObject): void {
    const key = this.ownerKey(pod);
    if (!key) return;
    this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
    this.controller.enqueue(key);
  }

  /** One level-triggered pass for the set `namespace/name` (the work queue's handler; public for tests). */
  async syncReplicaSet(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const rs = this.sets.lister().namespace(namespace).get(name);
    if (!rs) {
      this.expectations.deleteExpectations(key);
      return;
    }
    const needsSync = this.expectations.satisfiedExpectations(key) && !rs.metadata.deletionTimestamp;
    const selector = this.kind.selectorOf(rs);
    const active = claimCandidates(this.pods.indexer, rs).filter(isPodActive);
    const pods = await claimObjects(active, {
      owner: rs,
      ref: newControllerRef(rs, this.kind.apiVersion, this.kind.kind),
      selector,
      client: this.ctx.client.resource<PodObject>(PODS),
      canAdopt: async () => {
        const fresh = await this.ctx.client.resource<ReplicaSetObject>(this.kind.ref).namespace(namespace).get(name);
        return fresh.metadata.uid === rs.metadata.uid && !fresh.metadata.deletionTimestamp;
      },
    });
    let manageError: { diff: number; message: string } | undefined;
    if (needsSync) manageError = await this.manageReplicas(key, pods, rs);
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const status = calculateStatus(rs.status, rs.metadata.generation, rs.spec?.template?.metadata?.labels ?? {}, minReady, pods, manageError);
    if (statusChanged(rs.status, status)) await this.updateStatus(rs, status);
    // Pods ready but not yet available: look again when minReadySeconds has passed.
    const want = rs.spec?.replicas ?? 1;
    if (manageError === undefined && minReady > 0 && status.readyReplicas === want && status.availableReplicas !== want) {
      this.controller.enqueueAfter(key, minReady * 1000);
    }
    if (manageError) throw new Error(manageError.message);
  }

  /** Writes status; on a conflict (the cached set is stale), once more on a fresh copy, as kube does. */
  private async updateStatus(rs: ReplicaSetObject, status: ReplicaSetObject['status']): Promise<void> {
    const sets = this.ctx.client.resource<ReplicaSetObject>(this.kind.ref).namespace(rs.metadata.namespace ?? '');
    try {
      await sets.updateStatus({ ...rs, status });
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err)) throw err;
      const fresh = await sets.get(rs.metadata.name ?? '');
      if (fresh.metadata.uid !== rs.metadata.uid) return;
      await sets.updateStatus({ ...fresh, status });
    }
  }

  /** Creates or deletes pods towards spec.replicas; answers the error that stopped it, if any. */
  private async manageReplicas(key: string, pods: PodObject[], rs: ReplicaSetObject): Promise<{ diff: number; message: string } | undefined> {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      // Expect them all before the first create: its add event may come before the create answers.
      this.expectations.expectCreations(key, count);
      const podClient = this.ctx.client.resource<PodObject>(PODS).namespace(rs.metadata.namespace ?? '');
      const ref = newControllerRef(rs, this.kind.apiVersion, this.kind.kind);
      const { attempted, error } = await slowStartBatch(count, 1, async () => {
        try {
          const created = await podClient.create(podFromTemplate(rs.spec?.template, rs, ref));
          void this.recorder.event(this.withKind(rs), 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        } catch (err) {
          // A terminating namespace refuses creates; that is not the set's failure.
          if (isNamespaceTerminating(err)) return;
          this.expectations.creationObserved(key);
          throw err;
        }
      });
      // Creates never attempted will not be observed either (failed ones were taken off as they failed).
      const skipped = count - attempted;
      if (skipped > 0) this.expectations.lowerExpectations(key, skipped, 0);
      if (error) {
        const message = error instanceof Error ? error.message : String(error);
        void this.recorder.event(this.withKind(rs), 'Warning', 'FailedCreate', `Error creating: ${message}`);
        return { diff, message };
      }
      return undefined;
    }
    if (diff > 0) {
      const count = Math.min(diff, BURST_REPLICAS);
      const victims = podsToDelete(pods, this.relatedPods(rs), count);
      this.expectations.expectDeletionsOf(key, victims.map(metaNamespaceKey));
      const podClient = this.ctx.client.resource<PodObject>(PODS).namespace(rs.metadata.namespace ?? '');
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            await podClient.delete(pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
            void this.recorder.event(this.withKind(rs), 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
          } catch (err) {
            this.expectations.deletionObservedOf(key, metaNamespaceKey(pod));
            if (isNotFound(err)) return;
            throw err;
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        const message = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
        void this.recorder.event(this.withKind(rs), 'Warning', 'FailedDelete', `Error deleting: ${message}`);
        return { diff, message };
      }
    }
    return undefined;
  }

  /** The active pods of every set with the same controller as `rs` (for ranking by co-location). */
  private relatedPods(rs: ReplicaSetObject): PodObject[] {
    const owner = controllerRefOf(rs);
    const sets = owner ? this.sets.indexer.byIndex(OWNER_UID_INDEX, owner.uid) : [rs];
    return sets.flatMap((s) => this.pods.indexer.byIndex(OWNER_UID_INDEX, s.metadata.uid ?? '')).filter(isPodActive);
  }

  private withKind(rs: ReplicaSetObject): KubeObject {
    return { ...rs, apiVersion: this.kind.apiVersion, kind: this.kind.kind } as KubeObject;
  }
}
