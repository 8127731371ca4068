/**
 * The shapes the client speaks: any API object (typed metadata, the rest open), lists, watch events and the
 * options of each verb, in the API's own words.
 */
import type { DeleteOptions as MetaDeleteOptions, ListMeta, ObjectMeta, OwnerReference, Status } from 'kubernetes-types/meta/v1.js';

export type { ListMeta, ObjectMeta, OwnerReference, Status };

/** Any API object: metadata typed, the rest open (cast to a kubernetes-types type where a kind is known). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** What the client needs to address a resource; a registry ResourceInfo (src/api/registry.ts) is one. */
export interface ResourceRef {
  group: string;
  version: string;
  /** The plural, lower-case name in URLs (`configmaps`). */
  resource: string;
  namespaced: boolean;
  kind?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One watch event; an ERROR event carries a Status. */
export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status & { code?: number } };

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** Rejects when the whole answer has not come by then (default 60 s). */
  timeoutMs?: number;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Where to start; "" or "0" starts with the current state as ADDED events. */
  resourceVersion?: string;
  /** Ask for BOOKMARK events (default true): they move the resourceVersion a re-watch starts from. */
  allowWatchBookmarks?: boolean;
  /** The server ends the watch after this long (a client re-watches). */
  timeoutSeconds?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

/** metav1.DeleteOptions: propagationPolicy, preconditions, gracePeriodSeconds, dryRun (["All"]). */
export type DeleteOptions = Omit<MetaDeleteOptions, 'apiVersion' | 'kind'>;

/** The three patch formats the apiserver takes. */
export type PatchType = 'json' | 'merge' | 'strategic';

export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};
