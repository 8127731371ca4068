/**
 * The objects the scheduler writes, built from plain values so the API wiring only sends them: the v1.Binding
 * for pods/binding (as kube's DefaultBinder) and the PodScheduled condition. Events go through the client's
 * EventRecorder (src/client/event-recorder.ts).
 */
import type { Binding, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { SchedulingFailure } from './scheduler.js';
import { rfc3339 } from '../apimachinery/time.js';

/** The body of POST pods/<name>/binding. */
export function bindingFor(pod: Pod, nodeName: string): Binding {
  return {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace, uid: pod.metadata?.uid },
    target: { kind: 'Node', name: nodeName },
  };
}

/** PodScheduled=False with the failure's reason (Unschedulable or SchedulerError) and message. */
export function unschedulableCondition(failure: SchedulingFailure, now: Date = new Date()): PodCondition {
  return { type: 'PodScheduled', status: 'False', reason: failure.reason, message: failure.message, lastTransitionTime: rfc3339(now.getTime()) };
}

