/**
 * The taint eviction controller (kube's taint-eviction-controller, once the node lifecycle controller's taint
 * manager): pods on a node with NoExecute taints they do not tolerate are deleted; pods tolerating them for
 * tolerationSeconds are deleted that long after the taint was added. Before deleting, the pod gets the
 * DisruptionTarget condition, as kube marks pods it evicts.
 */
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { metaNamespaceKey, splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { NODES, PODS } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext, ManagedController } from '../context.js';
import { evictionDecision, POD_NODE_INDEX, podNodeIndexFunc } from './taints.js';
import { rfc3339 } from '../../apimachinery/time.js';

type NodeObject = Node & KubeObject;
type PodObject = Pod & KubeObject;


export class TaintEvictionController implements ManagedController {
  readonly name = 'taint-eviction-controller';
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private nodes!: SharedInformer<NodeObject>;
  private pods!: SharedInformer<PodObject>;

  constructor(private readonly ctx: ControllerContext) {
    this.controller = new Controller({ name: this.name, sync: (key) => this.sync(key), logger: ctx.logger.child({ controller: this.name }) });
    this.recorder = new EventRecorder(ctx.client, 'taint-eviction-controller', '', this.controller.log);
  }

  async init(): Promise<void> {
    this.nodes = this.ctx.informers.informerFor<NodeObject>(NODES);
    this.pods = this.ctx.informers.informerFor<PodObject>(PODS);
    this.pods.addIndexers({ [POD_NODE_INDEX]: podNodeIndexFunc });
    // Pods are the keys: a node's taints changing wakes every pod on it.
    this.pods.addEventHandler(this.controller.handler<PodObject>((p) => (p.spec?.nodeName ? metaNamespaceKey(p) : undefined)));
    const wakePods = (n: NodeObject): void => {
      for (const p of this.pods.indexer.byIndex(POD_NODE_INDEX, n.metadata.name!)) this.controller.enqueue(metaNamespaceKey(p));
    };
    this.nodes.addEventHandler({
      onAdd: wakePods,
      onUpdate: (old, n) => {
        if (JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(n.spec?.taints ?? [])) wakePods(n);
      },
    });
  }

  async run(): Promise<void> {
    await Promise.all([this.nodes.waitForSync(), this.pods.waitForSync()]);
    this.controller.run(2);
  }

  stop(): Promise<void> {
    return this.controller.stop();
  }

  private async sync(key: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(key);
    const pod = this.pods.lister().namespace(namespace).get(name);
    if (!pod?.spec?.nodeName || pod.metadata.deletionTimestamp) return;
    const node = this.nodes.lister().get(pod.spec.nodeName);
    if (!node) return;
    const decision = evictionDecision(pod, node.spec?.taints ?? [], Date.now());
    if (decision.action === 'keep') return;
    if (decision.action === 'evictAt') {
      // Level-triggered: looked at again when the time comes (or when anything changes before).
      this.controller.enqueueAfter(key, decision.atMs - Date.now() + 10);
      return;
    }
    const pods = this.ctx.client.resource<PodObject>(PODS).namespace(namespace);
    try {
      const target: PodCondition = {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
        lastTransitionTime: rfc3339(),
      };
      const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'), target];
      await pods.updateStatus({ ...pod, status: { ...pod.status, conditions } }).catch((err: unknown) => {
        // The condition is a courtesy; the deletion is what matters.
        if (!isConflict(err)) throw err;
      });
      void this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
      this.controller.log.info({ pod: key, node: node.metadata.name }, 'evicting pod from tainted node');
      await pods.delete(name, { preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }
}
