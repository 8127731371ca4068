/**
 * The garbage collector (kube's garbage-collector-controller): deletes objects whose owners are all gone
 * (background deletion), deletes the dependents of owners deleted in the foreground before letting the owner
 * go (`foregroundDeletion` finalizer, waiting on dependents with blockOwnerDeletion), and removes the owner
 * references of dependents whose owner is deleted with the `orphan` finalizer. It monitors every resource that
 * can be listed, watched and deleted (events excepted) through the shared informers, keeps a UID graph of
 * owners and dependents, and works one object UID at a time from a work queue.
 */
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { Controller } from '../../client/controller.js';
import { RESTMapper, type DiscoveredResource } from '../../client/discovery.js';
import { isConflict, isInvalid, isNotFound } from '../../client/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import type { KubeObject, ResourceRef } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from './finalizers.js';
import { deletingDependents, Graph, nodeOf, orphaningDependents, type ObjectNode } from './graph.js';

/** Resources the collector leaves alone (kube ignores events: many, short-lived, never owners). */
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

type OwnerState = 'solid' | 'dangling' | 'waiting';

export class GarbageCollector implements ManagedController {
  readonly name = 'garbage-collector-controller';
  private readonly controller: Controller;
  private readonly graph = new Graph();
  /** Owner UIDs verified absent: a UID never comes back, so they need no second look-up. */
  private readonly absentOwners = new Set<string>();
  private readonly informers: SharedInformer<KubeObject>[] = [];
  private mapper = new RESTMapper([]);

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (uid) => this.sync(uid), logger: ctx.logger.child({ controller: this.name }) });
  }

  async init(): Promise<void> {
    const resources = await this.discover();
    this.mapper = new RESTMapper(resources);
    for (const r of resources.filter(monitorable)) {
      const informer = this.ctx.informers.informerFor<KubeObject>(r);
      informer.addEventHandler({
        onAdd: (obj) => this.observe(nodeOf(obj, r)),
        onUpdate: (_old, obj) => this.observe(nodeOf(obj, r)),
        onDelete: (obj) => this.forget(obj.metadata.uid ?? ''),
      });
      this.informers.push(informer);
    }
  }

  /** Discovery, retried a few times (a remote apiserver may still be starting). */
  private async discover(): Promise<DiscoveredResource[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ctx.discovery.serverPreferredResources();
      } catch (err) {
        if (attempt >= 10) throw err;
        this.controller.log.warn({ err: err instanceof Error ? err.message : String(err), attempt }, 'discovery failed; retrying');
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
  }

  async run(): Promise<void> {
    // Work starts once the graph holds everything: a dependent must not look ownerless for want of a list.
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    this.controller.log.info({ objects: this.graph.size, resources: this.informers.length }, 'dependency graph built');
    this.controller.run(10);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  /** An object appeared or changed: queue what it may decide. */
  private observe(node: ObjectNode): void {
    const old = this.graph.upsert(node);
    if (node.ownerReferences.length > 0 || deletingDependents(node) || orphaningDependents(node)) this.controller.enqueue(node.uid);
    // An owner waiting for its dependents: each of them now has work, and so does the owner.
    if (deletingDependents(node) && !(old && deletingDependents(old))) for (const d of this.graph.dependentsOf(node.uid)) this.controller.enqueue(d.uid);
    // A reference dropped or unblocked may be the one an owner in foreground deletion waits for.
    for (const ref of old?.ownerReferences ?? []) {
      const still = node.ownerReferences.find((r) => r.uid === ref.uid);
      if (!still || (ref.blockOwnerDeletion && !still.blockOwnerDeletion) || (node.beingDeleted && !old?.beingDeleted)) this.controller.enqueue(ref.uid);
    }
  }

  /** An object is gone: its dependents may be ownerless now, and its owners may be waiting for it. */
  private forget(uid: string): void {
    const old = this.graph.remove(uid);
    if (!old) return;
    this.absentOwners.add(uid);
    for (const d of this.graph.dependentsOf(uid)) this.controller.enqueue(d.uid);
    for (const ref of old.ownerReferences) this.controller.enqueue(ref.uid);
  }

  private async sync(uid: string): Promise<void> {
    const node = this.graph.get(uid);
    if (!node) return;
    if (orphaningDependents(node)) return this.orphanDependents(node);
    if (deletingDependents(node)) await this.processDeletingDependents(node);
    if (node.beingDeleted || node.ownerReferences.length === 0) return;
    await this.attemptToDelete(node);
  }

  /** Foreground deletion: dependents go first; the owner's finalizer comes off when none blocks it. */
  private async processDeletingDependents(owner: ObjectNode): Promise<void> {
    const dependents = this.graph.dependentsOf(owner.uid);
    const blocking = dependents.filter((d) => d.ownerReferences.some((r) => r.uid === owner.uid && r.blockOwnerDeletion));
    if (blocking.length === 0) {
      await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
      return;
    }
    for (const d of dependents) if (!d.beingDeleted || deletingDependents(d)) this.controller.enqueue(d.uid);
  }

  /** Orphaning: every dependent loses its reference to the owner, then the owner's finalizer comes off. */
  private async orphanDependents(owner: ObjectNode): Promise<void> {
    await Promise.all(this.graph.dependentsOf(owner.uid).map((d) => this.patchOwnerReferences(d, (refs) => refs.filter((r) => r.uid !== owner.uid))));
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  /** Decides a dependent's fate from its owners (kube's attemptToDeleteItem). */
  private async attemptToDelete(node: ObjectNode): Promise<void> {
    const latest = await this.getLatest(node);
    if (!latest || latest.metadata.deletionTimestamp) return;
    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const states = await Promise.all(refs.map(async (r) => [r, await this.ownerState(r, node)] as const));
    const solid = states.filter(([, s]) => s === 'solid');
    const dangling = states.filter(([, s]) => s === 'dangling').map(([r]) => r.uid);
    const waiting = states.filter(([, s]) => s === 'waiting').map(([r]) => r.uid);
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Still owned: drop the references to owners that are gone, and stop blocking owners that wait.
      await this.patchOwnerReferences(node, (current) =>
        current.filter((r) => !dangling.includes(r.uid)).map((r) => (waiting.includes(r.uid) && r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r)),
      );
      return;
    }
    let policy: 'Orphan' | 'Foreground' | 'Background';
    const dependents = this.graph.dependentsOf(node.uid);
    if (waiting.length > 0 && dependents.length > 0) {
      // An owner waits on us and we have dependents of our own: delete in the foreground too. A dependent that
      // is itself waiting on dependents is a cycle: stop blocking our owners so it cannot deadlock.
      if (dependents.some(deletingDependents)) {
        await this.patchOwnerReferences(node, (current) => current.map((r) => (waiting.includes(r.uid) && r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r)));
      }
      policy = 'Foreground';
    } else {
      const finalizers = latest.metadata.finalizers ?? [];
      policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    }
    this.controller.log.debug({ object: describe(node), policy }, 'deleting object whose owners are gone or going');
    try {
      await this.clientFor(node).delete(node.name, { propagationPolicy: policy, preconditions: { uid: node.uid } });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  /** solid: exists and is not waiting on dependents; waiting: deleting in the foreground; dangling: gone. */
  private async ownerState(ref: OwnerReference, dependent: ObjectNode): Promise<OwnerState> {
    if (this.absentOwners.has(ref.uid)) return 'dangling';
    const cached = this.graph.get(ref.uid);
    if (cached) return deletingDependents(cached) ? 'waiting' : 'solid';
    // Not seen (yet): ask the server, so an owner created a moment ago is not taken for gone.
    const resource = this.mapper.resourceFor(ref.apiVersion, ref.kind);
    if (!resource) throw new Error(`${describe(dependent)}: cannot map owner ${ref.apiVersion} ${ref.kind} to a resource`);
    if (resource.namespaced && !dependent.namespace) return 'dangling';
    const rc = this.ctx.client.resource(resource);
    try {
      const owner = await (resource.namespaced ? rc.namespace(dependent.namespace) : rc).get(ref.name);
      if (owner.metadata.uid !== ref.uid) {
        this.absentOwners.add(ref.uid);
        return 'dangling';
      }
      const node = nodeOf(owner, resource);
      return deletingDependents(node) ? 'waiting' : 'solid';
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.absentOwners.add(ref.uid);
      return 'dangling';
    }
  }

  /** The object as the server has it now, if it is still the one this node is about. */
  private async getLatest(node: ObjectNode): Promise<KubeObject | undefined> {
    try {
      const obj = await this.clientFor(node).get(node.name);
      return obj.metadata.uid === node.uid ? obj : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Rewrites the owner references with a JSON patch that tests what it read, so a concurrent change is retried, not lost. */
  private async patchOwnerReferences(node: ObjectNode, change: (refs: OwnerReference[]) => OwnerReference[]): Promise<void> {
    const latest = await this.getLatest(node);
    if (!latest) return;
    const current = latest.metadata.ownerReferences ?? [];
    const next = change([...current]);
    if (JSON.stringify(next) === JSON.stringify(current)) return;
    await this.jsonPatch(node, [
      { op: 'test', path: '/metadata/uid', value: node.uid },
      { op: 'test', path: '/metadata/ownerReferences', value: current },
      next.length > 0 ? { op: 'replace', path: '/metadata/ownerReferences', value: next } : { op: 'remove', path: '/metadata/ownerReferences' },
    ]);
  }

  /** Takes one finalizer off (the apiserver deletes the object when it was the last). */
  private async removeFinalizer(node: ObjectNode, finalizer: string): Promise<void> {
    const latest = await this.getLatest(node);
    const current = latest?.metadata.finalizers ?? [];
    if (!latest || !current.includes(finalizer)) return;
    const next = current.filter((f) => f !== finalizer);
    await this.jsonPatch(node, [
      { op: 'test', path: '/metadata/uid', value: node.uid },
      { op: 'test', path: '/metadata/finalizers', value: current },
      next.length > 0 ? { op: 'replace', path: '/metadata/finalizers', value: next } : { op: 'remove', path: '/metadata/finalizers' },
    ]);
  }

  private async jsonPatch(node: ObjectNode, ops: unknown[]): Promise<void> {
    try {
      await this.clientFor(node).patch(node.name, 'json', ops);
    } catch (err) {
      if (isNotFound(err)) return;
      // A failed test: the object changed under us; the retry reads it again.
      if (isInvalid(err)) throw new Error(`${describe(node)} changed while being patched; retrying`);
      throw err;
    }
  }

  private clientFor(node: ObjectNode) {
    const rc = this.ctx.client.resource(node.resource);
    return node.resource.namespaced ? rc.namespace(node.namespace) : rc;
  }
}

function monitorable(r: DiscoveredResource): boolean {
  return ['list', 'watch', 'delete'].every((v) => r.verbs.includes(v)) && !IGNORED.has(`${r.group}/${r.resource}`);
}

function describe(n: { resource: ResourceRef; namespace: string; name: string; uid: string }): string {
  const gr = n.resource.group ? `${n.resource.resource}.${n.resource.group}` : n.resource.resource;
  return `${gr} ${n.namespace ? `${n.namespace}/` : ''}${n.name} (${n.uid})`;
}
