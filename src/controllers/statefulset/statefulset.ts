/**
 * The StatefulSet controller (kube's statefulset-controller): pods with stable names and storage, made and
 * removed in ordinal order (or in parallel), rolled to a new template from the highest ordinal down, with the
 * template history kept as ControllerRevisions. Claims are created before their pod and never wait to be bound:
 * there is no volume provisioner yet, and the scheduler places pods without looking at their claims.
 */
import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer.js';
import { splitMetaNamespaceKey } from '../../client/indexer.js';
import { builtinResource, PODS } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import { labelSelectorFromMeta } from '../../apimachinery/labels.js';
import { compileLabelSelector } from '../../scheduler/selectors.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { CONTROLLER_REVISIONS, RevisionHistory, templateOfRevision, type ControllerRevisionObject } from '../history/history.js';
import { claimCandidates, claimObjects, CONTROLLER_INDEX, controllerIndexFunc } from '../replicaset/controller-ref.js';
import { controllerRefOf, newControllerRef, type PodObject } from '../replicaset/pods.js';
import {
  claimOwnerRefs,
  claimsFor,
  newStatefulSetPod,
  ordinalOf,
  ordinalRange,
  podRevision,
  sameOwners,
  STATEFULSET_OWNER,
  type ClaimObject,
  type StatefulSetObject,
} from './identity.js';
import { isTerminating, planStatefulSet, statefulSetStatus } from './plan.js';

export const STATEFULSETS = builtinResource('apps', 'v1', 'statefulsets');
export const PERSISTENT_VOLUME_CLAIMS = builtinResource('', 'v1', 'persistentvolumeclaims');

export class StatefulSetController implements ManagedController {
  readonly name = 'statefulset-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private sets!: SharedInformer<StatefulSetObject>;
  private pods!: SharedInformer<PodObject>;
  private claims!: SharedInformer<ClaimObject>;
  private revisionsInformer!: SharedInformer<ControllerRevisionObject>;
  private history!: RevisionHistory;

  constructor(private readonly ctx: ControllerContext) {
    const logger = ctx.logger.child({ controller: this.name });
    this.controller = new Controller({ name: this.name, sync: (key) => this.syncStatefulSet(key), logger });
    this.recorder = new EventRecorder(ctx.client, 'statefulset-controller', '', logger);
  }

  async init(): Promise<void> {
    this.sets = this.ctx.informers.informerFor<StatefulSetObject>(STATEFULSETS);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.pods.addIndexers({ [CONTROLLER_INDEX]: controllerIndexFunc });
    this.claims = this.ctx.informers.informerFor<ClaimObject>(PERSISTENT_VOLUME_CLAIMS);
    this.revisionsInformer = this.ctx.informers.informerFor<ControllerRevisionObject>(CONTROLLER_REVISIONS);
    this.history = new RevisionHistory(this.ctx.client, this.revisionsInformer, STATEFULSET_OWNER);
    this.sets.addEventHandler(this.controller.handler());
    const onPod = (pod: PodObject): void => this.enqueueForPod(pod);
    this.pods.addEventHandler({ onAdd: onPod, onUpdate: (_old, pod) => onPod(pod), onDelete: onPod });
    this.revisionsInformer.addEventHandler({ onDelete: (rev) => this.enqueueOwner(rev) });
  }

  async run(): Promise<void> {
    await Promise.all([this.sets.waitForSync(), this.pods.waitForSync(), this.claims.waitForSync(), this.revisionsInformer.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private enqueueOwner(obj: KubeObject): boolean {
    const ref = controllerRefOf(obj);
    if (ref?.kind !== 'StatefulSet' || !obj.metadata.namespace) return false;
    const set = this.sets.lister().namespace(obj.metadata.namespace).get(ref.name);
    if (set?.metadata.uid === ref.uid) this.controller.enqueue(`${obj.metadata.namespace}/${ref.name}`);
    return true;
  }

  /** A pod's set, or for an orphan every set whose selector matches it (one of them may adopt it). */
  private enqueueForPod(pod: PodObject): void {
    if (controllerRefOf(pod)) {
      this.enqueueOwner(pod);
      return;
    }
    if (pod.metadata.deletionTimestamp || !pod.metadata.namespace) return;
    for (const set of this.sets.lister().namespace(pod.metadata.namespace).list()) {
      if (compileLabelSelector(set.spec?.selector)(pod.metadata.labels)) this.controller.enqueue(`${pod.metadata.namespace}/${set.metadata.name}`);
    }
  }

  private podClient(ns: string) {
    return this.ctx.client.resource<PodObject>(PODS).namespace(ns);
  }

  /** Makes the StatefulSet `namespace/name` match its spec (one level-triggered pass). */
  async syncStatefulSet(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const cached = this.sets.lister().namespace(namespace).get(name);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const set: StatefulSetObject = { ...cached, ...STATEFULSET_OWNER };
    const pods = await this.claimPods(set);
    const revs = await this.history.revisionsFor(set, set.status?.currentRevision);
    const current = revs.current.metadata.name ?? '';
    const update = revs.update.metadata.name ?? '';

    await this.syncClaimOwnership(set, pods);
    const plan = planStatefulSet(set, pods, current, update);
    const templates = new Map([[current, templateOfRevision(revs.current)], [update, templateOfRevision(revs.update)]]);
    await Promise.all(plan.create.map((c) => this.createPod(set, templates.get(c.revision)!, c.revision, c.ordinal)));
    await Promise.all(plan.delete.map((p) => this.deletePod(set, p)));

    const live = new Set([current, update, ...pods.map((p) => podRevision(p) ?? '')]);
    await this.history.truncate(set, revs.all, live);
    const status = statefulSetStatus(set, pods, { current, update, collisionCount: revs.collisionCount });
    await this.updateStatus(set, status);
    // A ready pod becomes available after minReadySeconds by the passing of time, not by an event.
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (status.availableReplicas ?? 0) < (status.readyReplicas ?? 0)) this.controller.enqueueAfter(key, minReady * 1000);
  }

  /**
   * The set's pods (kube's getPodsForStatefulSet): those it controls, orphans its selector matches and named
   * as its pods (adopted), less those whose labels no longer match (released).
   */
  private async claimPods(set: StatefulSetObject): Promise<PodObject[]> {
    const ns = set.metadata.namespace ?? '';
    const setName = set.metadata.name ?? '';
    const candidates = claimCandidates(this.pods.indexer, set).filter((p) => controllerRefOf(p) || ordinalOf(setName, p.metadata.name) !== undefined);
    return claimObjects(candidates, {
      owner: set,
      ref: newControllerRef(set, STATEFULSET_OWNER.apiVersion, STATEFULSET_OWNER.kind),
      selector: labelSelectorFromMeta(set.spec?.selector),
      client: this.ctx.client.resource<PodObject>(PODS),
      canAdopt: async () => {
        const fresh = await this.ctx.client.resource<StatefulSetObject>(STATEFULSETS).namespace(ns).get(setName);
        return fresh.metadata.uid === set.metadata.uid && !fresh.metadata.deletionTimestamp;
      },
    });
  }

  /** Puts each existing claim's owner references in line with the retention policy. */
  private async syncClaimOwnership(set: StatefulSetObject, pods: readonly PodObject[]): Promise<void> {
    const { start, end } = ordinalRange(set);
    const byOrdinal = new Map(pods.map((p) => [ordinalOf(set.metadata.name ?? '', p.metadata.name)!, p]));
    const ordinals = new Set([...byOrdinal.keys()]);
    for (let o = start; o < end; o++) ordinals.add(o);
    const claims = this.claims.lister().namespace(set.metadata.namespace ?? '');
    for (const ord of ordinals) {
      const pod = byOrdinal.get(ord);
      for (const wanted of claimsFor(set, ord)) {
        const claim = claims.get(wanted.metadata.name ?? '');
        if (!claim || claim.metadata.deletionTimestamp) continue;
        const refs = claimOwnerRefs(claim, set, pod, ord < start || ord >= end);
        if (sameOwners(refs, claim.metadata.ownerReferences)) continue;
        try {
          await this.ctx.client
            .resource<ClaimObject>(PERSISTENT_VOLUME_CLAIMS)
            .namespace(claim.metadata.namespace ?? '')
            .patch(claim.metadata.name ?? '', 'merge', { metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: claim.metadata.resourceVersion } });
        } catch (err) {
          if (!isNotFound(err) && !isConflict(err)) throw err;
          this.controller.enqueueAfter(`${set.metadata.namespace}/${set.metadata.name}`, 500);
        }
      }
    }
  }

  /** Creates the pod's missing claims, then the pod (kube's CreateStatefulPod). */
  private async createPod(set: StatefulSetObject, template: ReturnType<typeof templateOfRevision>, revision: string, ordinal: number): Promise<void> {
    const pod = newStatefulSetPod(set, template, revision, ordinal);
    const ns = set.metadata.namespace ?? '';
    const claims = this.ctx.client.resource<ClaimObject>(PERSISTENT_VOLUME_CLAIMS).namespace(ns);
    for (const claim of claimsFor(set, ordinal)) {
      const cached = this.claims.lister().namespace(ns).get(claim.metadata.name ?? '');
      if (cached && !cached.metadata.deletionTimestamp) continue;
      if (cached) throw new Error(`pvc ${claim.metadata.name} is being deleted`);
      const refs = claimOwnerRefs(claim, set, undefined, false);
      if (refs.length) claim.metadata.ownerReferences = refs;
      try {
        await claims.create(claim);
        void this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        void this.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
        throw err;
      }
    }
    try {
      await this.podClient(ns).create(pod);
      void this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      // Our cache has not seen it yet: the stable name makes a duplicate impossible.
      if (isAlreadyExists(err)) return;
      void this.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      throw err;
    }
  }

  private async deletePod(set: StatefulSetObject, pod: Pod & KubeObject): Promise<void> {
    if (isTerminating(pod)) return;
    try {
      await this.podClient(set.metadata.namespace ?? '').delete(pod.metadata.name ?? '', { preconditions: { uid: pod.metadata.uid } });
      void this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      void this.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
      throw err;
    }
  }

  private async updateStatus(set: StatefulSetObject, status: StatefulSetStatus): Promise<void> {
    const old = (set.status ?? {}) as StatefulSetStatus;
    const same = (Object.keys(status) as Array<keyof typeof status>).every((k) => JSON.stringify(old[k] ?? 0) === JSON.stringify(status[k] ?? 0));
    if (same) return;
    try {
      await this.ctx.client.resource<StatefulSetObject>(STATEFULSETS).namespace(set.metadata.namespace ?? '').updateStatus({ ...set, status: { ...old, ...status } });
    } catch (err) {
      // A newer set is on its way through the informer: its sync writes the status.
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  }
}
