/**
 * An event recorder (client-go's record.EventRecorder with its correlator, simplified): Events about an object
 * written as core/v1 Events, the same event repeated turned into a count on one Event instead of a new one
 * each time. Recording never blocks or fails the caller: events are best effort, as in Kubernetes.
 */
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { componentLogger } from '../util/log.js';
import type { Client } from './client.js';
import { isNotFound } from './errors.js';
import { EVENTS } from './resources.js';
import type { KubeObject } from './types.js';
import { rfc3339 } from '../apimachinery/time.js';

/** How many distinct events the recorder remembers for aggregation. */
const MAX_TRACKED = 4096;

interface Tracked {
  name: string;
  namespace: string;
  count: number;
}


export class EventRecorder {
  private readonly seen = new Map<string, Tracked>();
  private readonly log: Logger;

  /** `component` is the reporting component (`default-scheduler`); `host` its instance. */
  constructor(
    private readonly client: Client,
    private readonly component: string,
    private readonly host = '',
    logger?: Logger,
  ) {
    this.log = logger ?? componentLogger('events');
  }

  /** Records an event about `obj`; resolves once written (or given up), never rejects. */
  async event(obj: KubeObject & { apiVersion?: string; kind?: string }, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const ref: ObjectReference = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
    };
    const namespace = obj.metadata.namespace || 'default';
    const key = JSON.stringify([ref.uid, ref.namespace, ref.name, type, reason, message]);
    const events = this.client.resource<Event & KubeObject>(EVENTS).namespace(namespace);
    const now = rfc3339();
    try {
      const tracked = this.seen.get(key);
      if (tracked) {
        tracked.count++;
        // Most recently used last, so the oldest is the one forgotten.
        this.seen.delete(key);
        this.seen.set(key, tracked);
        try {
          await events.patch(tracked.name, 'merge', { count: tracked.count, lastTimestamp: now });
          return;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          this.seen.delete(key);
        }
      }
      const name = `${obj.metadata.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
      await events.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: ref,
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
        reportingComponent: this.component,
        reportingInstance: this.host || this.component,
      } as Event & KubeObject);
      this.seen.set(key, { name, namespace, count: 1 });
      if (this.seen.size > MAX_TRACKED) this.seen.delete(this.seen.keys().next().value!);
    } catch (err) {
      this.log.debug({ err, object: `${namespace}/${obj.metadata.name}`, reason }, 'event not recorded');
    }
  }
}
