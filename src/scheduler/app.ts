/**
 * The scheduler as a component (kube's cmd/kube-scheduler): the in-memory Scheduler wired to the cluster
 * through the client — shared informers feed its cache and queue, bindings go through the pods/binding
 * subresource, failures become a FailedScheduling event and a PodScheduled=False condition, preemption
 * nominates the pod and deletes its victims gracefully. With leader election only the holder of the
 * kube-system/kube-scheduler Lease schedules, so several servers on one etcd never schedule twice.
 */
import { hostname } from 'node:os';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Namespace, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Client } from '../client/client.js';
import { isConflict, isNotFound } from '../client/errors.js';
import { EventRecorder } from '../client/event-recorder.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { SharedInformer } from '../client/informer.js';
import { LeaderElector } from '../client/leader-election.js';
import { builtinResource } from '../client/resources.js';
import type { KubeObject } from '../client/types.js';
import { componentLogger } from '../util/log.js';
import { ActionType, type EventResource } from './framework.js';
import { noopMetrics, prometheusSchedulerMetrics } from './metrics.js';
import { bindingFor, unschedulableCondition } from './reporting.js';
import { Scheduler, type SchedulingFailure } from './scheduler.js';

export interface SchedulerAppOptions {
  client: Client;
  /** KubeSchedulerConfiguration YAML (`--scheduler-config`); kube's defaults when absent. */
  config?: string;
  /** Registers scheduler_* metrics here (the apiserver's /metrics in `k8ts up`). */
  metricsRegistry?: Registry;
  /** Hold the kube-system/kube-scheduler Lease before scheduling (default true). */
  leaderElect?: boolean;
  /** The identity to campaign as; stable across restarts re-acquires at once (default: host, pid, random). */
  identity?: string;
  /** Informers shared with the process's other components (their owner stops them); its own otherwise. */
  informers?: SharedInformerFactory;
  logger?: Logger;
}

type Obj<T> = T & KubeObject;


export class SchedulerApp {
  private readonly log: Logger;
  private readonly informers: SharedInformerFactory;
  private readonly recorder: EventRecorder;
  private readonly scheduler: Scheduler;
  private elector: LeaderElector | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: SchedulerAppOptions) {
    this.log = opts.logger ?? componentLogger('scheduler');
    this.informers = opts.informers ?? new SharedInformerFactory(opts.client);
    this.recorder = new EventRecorder(opts.client, 'default-scheduler', hostname(), this.log);
    const pdbs = this.informers.informerFor<Obj<PodDisruptionBudget>>(builtinResource('policy', 'v1', 'poddisruptionbudgets'));
    const services = this.informers.informerFor<Obj<Service>>(builtinResource('', 'v1', 'services'));
    const replicaSets = this.informers.informerFor<Obj<ReplicaSet>>(builtinResource('apps', 'v1', 'replicasets'));
    const statefulSets = this.informers.informerFor<Obj<StatefulSet>>(builtinResource('apps', 'v1', 'statefulsets'));
    const namespaces = this.informers.informerFor<Obj<Namespace>>(builtinResource('', 'v1', 'namespaces'));
    const inNamespace = <T extends KubeObject>(inf: SharedInformer<T>, ns: string): T[] => inf.indexer.byIndex('namespace', ns);
    this.scheduler = new Scheduler({
      binder: { bind: (pod, node) => this.bind(pod, node) },
      ...(opts.config !== undefined ? { config: opts.config } : {}),
      metrics: opts.metricsRegistry ? prometheusSchedulerMetrics(opts.metricsRegistry) : noopMetrics,
      listers: {
        podDisruptionBudgets: (ns) => inNamespace(pdbs, ns),
        services: (ns) => inNamespace(services, ns),
        replicaSets: (ns) => inNamespace(replicaSets, ns),
        statefulSets: (ns) => inNamespace(statefulSets, ns),
        namespaceLabels: (ns) => namespaces.indexer.get(ns)?.metadata.labels ?? {},
      },
      onFailure: (pod, failure) => void this.reportFailure(pod, failure),
      onPreemption: (pod, result) => void this.preempt(pod, result.nominatedNodeName, result.victims),
      assumedPodTTLMs: 30_000,
    });
    const s = this.scheduler;
    this.informers.informerFor<Obj<Node>>(builtinResource('', 'v1', 'nodes')).addEventHandler({
      onAdd: (n) => s.onNodeAdd(n),
      onUpdate: (o, n) => s.onNodeUpdate(o, n),
      onDelete: (n) => s.onNodeDelete(n),
    });
    this.informers.informerFor<Obj<Pod>>(builtinResource('', 'v1', 'pods')).addEventHandler({
      onAdd: (p) => s.onPodAdd(p),
      onUpdate: (o, p) => s.onPodUpdate(o, p),
      onDelete: (p) => s.onPodDelete(p),
    });
    const requeueOn = (resource: EventResource, inf: SharedInformer<KubeObject>): void => {
      inf.addEventHandler({
        onAdd: (o, initial) => !initial && s.onClusterEvent(resource, ActionType.Add, undefined, o),
        onUpdate: (o, n) => o !== n && s.onClusterEvent(resource, ActionType.UpdateOther, o, n),
        onDelete: (o) => s.onClusterEvent(resource, ActionType.Delete, o, undefined),
      });
    };
    requeueOn('Service', services as unknown as SharedInformer<KubeObject>);
    requeueOn('PersistentVolumeClaim', this.informers.informerFor(builtinResource('', 'v1', 'persistentvolumeclaims')));
    requeueOn('PersistentVolume', this.informers.informerFor(builtinResource('', 'v1', 'persistentvolumes')));
  }

  /** Starts the informers, then schedules (once leading, with leader election). */
  async start(): Promise<void> {
    this.informers.start();
    await this.informers.waitForCacheSync();
    if (this.opts.leaderElect === false) {
      this.running = this.scheduler.run();
      return;
    }
    this.elector = new LeaderElector(this.opts.client, {
      namespace: 'kube-system',
      name: 'kube-scheduler',
      identity: this.opts.identity ?? `${hostname()}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`,
      logger: this.log,
      onStartedLeading: () => {
        this.log.info('leading: scheduling');
        this.running = this.scheduler.run();
      },
      onStoppedLeading: () => {
        this.log.warn('lost the kube-scheduler lease: not scheduling');
        this.scheduler.stop();
      },
    });
    void this.elector.run();
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    await this.elector?.stop();
    if (!this.opts.informers) this.informers.shutdown();
    await this.running;
  }

  private async bind(pod: Pod, nodeName: string): Promise<void> {
    const { namespace, name } = pod.metadata!;
    await this.opts.client.requestJSON('POST', `/api/v1/namespaces/${encodeURIComponent(namespace!)}/pods/${encodeURIComponent(name!)}/binding`, bindingFor(pod, nodeName));
    void this.recorder.event({ apiVersion: 'v1', kind: 'Pod', ...pod } as Obj<Pod>, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${nodeName}`);
  }

  private pods(namespace: string): ReturnType<Client['resource']> {
    return this.opts.client.resource(builtinResource('', 'v1', 'pods')).namespace(namespace);
  }

  /** kube's handleSchedulingFailure: the event, then PodScheduled=False (and the nomination) on the pod's status. */
  private async reportFailure(pod: Pod, failure: SchedulingFailure): Promise<void> {
    const obj = { apiVersion: 'v1', kind: 'Pod', ...pod } as Obj<Pod>;
    void this.recorder.event(obj, 'Warning', 'FailedScheduling', failure.message);
    const condition = unschedulableCondition(failure);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nominated = failure.nominatedNodeName;
    if (current?.status === 'False' && current.reason === failure.reason && current.message === failure.message && nominated === undefined) return;
    try {
      await this.pods(pod.metadata!.namespace!).patch(
        pod.metadata!.name!,
        'strategic',
        {
          metadata: { uid: pod.metadata!.uid },
          status: {
            conditions: [current?.status === 'False' ? { ...condition, lastTransitionTime: current.lastTransitionTime } : condition],
            ...(nominated !== undefined ? { nominatedNodeName: nominated || null } : {}),
          },
        },
        { subresource: 'status' },
      );
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) this.log.warn({ err, pod: `${pod.metadata!.namespace}/${pod.metadata!.name}` }, 'cannot record the scheduling failure');
    }
  }

  /** Preemption decided: nominate the pod to the node, and delete the victims gracefully. */
  private async preempt(pod: Pod, nodeName: string, victims: Pod[]): Promise<void> {
    const preemptor = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    await Promise.all(
      victims.map(async (victim) => {
        const v = { apiVersion: 'v1', kind: 'Pod', ...victim } as Obj<Pod>;
        try {
          await this.pods(victim.metadata!.namespace!).delete(victim.metadata!.name!, { preconditions: { uid: victim.metadata!.uid! } });
          void this.recorder.event(v, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata!.uid} on node ${nodeName}`);
        } catch (err) {
          if (!isNotFound(err)) this.log.warn({ err, victim: `${victim.metadata!.namespace}/${victim.metadata!.name}`, preemptor }, 'cannot delete a preemption victim');
        }
      }),
    );
    try {
      await this.pods(pod.metadata!.namespace!).patch(pod.metadata!.name!, 'merge', { status: { nominatedNodeName: nodeName } }, { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) this.log.warn({ err, pod: preemptor }, 'cannot nominate the preemptor');
    }
  }
}
