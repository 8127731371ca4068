/**
 * Writing a Service's EndpointSlices to match the desired ones (shared by the endpointslice and mirroring
 * controllers): slices already right are left alone, others are rewritten in place, missing ones created and
 * extra ones deleted. Slices just created are remembered until the informer shows them (kube's endpoint slice
 * tracker), so a sync on a stale cache never creates them twice.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Client } from '../../client/client.js';
import { isNotFound } from '../../client/errors.js';
import { builtinResource } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import { semanticEqual } from '../endpoint/util.js';
import type { DesiredSlice } from './slices.js';

export type SliceObject = EndpointSlice & KubeObject;
export const ENDPOINTSLICES = builtinResource('discovery.k8s.io', 'v1', 'endpointslices');

/** How long a created slice is waited for in the cache before it is assumed lost. */
const CREATE_EXPECTATION_TTL_MS = 30_000;

const sameContent = (slice: SliceObject, desired: DesiredSlice, labels: Record<string, string>): boolean =>
  slice.addressType === desired.addressType &&
  semanticEqual(slice.endpoints, desired.endpoints) &&
  semanticEqual(slice.ports, desired.ports) &&
  semanticEqual(slice.metadata.labels, labels);

export class SliceReconciler {
  /** key -> names created and not yet seen in the cache, with when. */
  private readonly pending = new Map<string, Map<string, number>>();

  constructor(private readonly client: Client) {}

  /** Whether every slice created for `key` is in the cache (`existing`); otherwise the caller waits. */
  caughtUp(key: string, existing: readonly SliceObject[]): boolean {
    const created = this.pending.get(key);
    if (!created) return true;
    const now = Date.now();
    for (const [name, at] of created) if (existing.some((s) => s.metadata.name === name) || now - at > CREATE_EXPECTATION_TTL_MS) created.delete(name);
    if (created.size === 0) this.pending.delete(key);
    return created.size === 0;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }

  /** Makes `existing` (the key's slices in the cache) match `desired`; `make` builds a new slice object. */
  async reconcile(key: string, namespace: string, existing: SliceObject[], desired: DesiredSlice[], labels: Record<string, string>, make: (d: DesiredSlice) => EndpointSlice): Promise<void> {
    const slices = this.client.resource<SliceObject>(ENDPOINTSLICES).namespace(namespace);
    const unused = [...existing].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    const todo: DesiredSlice[] = [];
    for (const d of desired) {
      const i = unused.findIndex((s) => sameContent(s, d, labels));
      if (i >= 0) unused.splice(i, 1);
      else todo.push(d);
    }
    for (const d of todo) {
      const reuse = unused.shift();
      if (reuse) {
        await slices.update({ ...reuse, metadata: { ...reuse.metadata, labels }, addressType: d.addressType, endpoints: d.endpoints, ports: d.ports });
        continue;
      }
      const created = await slices.create(make(d) as SliceObject);
      let names = this.pending.get(key);
      if (!names) this.pending.set(key, (names = new Map()));
      names.set(created.metadata.name!, Date.now());
    }
    for (const s of unused) {
      try {
        await slices.delete(s.metadata.name!, { preconditions: { uid: s.metadata.uid } });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
