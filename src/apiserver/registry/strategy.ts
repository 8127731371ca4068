/**
 * A resource's behaviour in one place, like Kubernetes' RESTCreateStrategy/RESTUpdateStrategy: defaults,
 * validation, the spec/status split, selectable fields, graceful deletion and the scale subresource. The
 * generic registry calls these hooks; handlers never special-case kinds.
 */
import type { ObjectMeta as ReadonlyObjectMeta, StatusCause } from 'kubernetes-types/meta/v1.js';
import type { ResourceInfo } from '../../api/registry.js';
import type { TableConvertor } from '../table.js';
import type { GarbageCollectionPolicy } from './deletion-policy.js';

/** ObjectMeta as the server edits it (kubernetes-types declares its fields readonly). */
export type ObjectMeta = { -readonly [K in keyof ReadonlyObjectMeta]: ReadonlyObjectMeta[K] };

/** Any API object as it travels through the server: typed metadata, the rest open. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** An object once the registry has checked it has metadata. */
export type StoredObject = KubeObject & { metadata: ObjectMeta };

/** Read/write access to an object's replica count, for the `scale` subresource. */
export interface ScaleAccess {
  specReplicas(obj: StoredObject): number;
  setSpecReplicas(obj: StoredObject, replicas: number): void;
  statusReplicas(obj: StoredObject): number;
  /** The label selector of the pods it scales, in string form (`app=web`). */
  selector(obj: StoredObject): string;
}

/**
 * What a write took outside the object itself (kube's Service REST reserves cluster IPs and node ports this
 * way, its allocators' transaction): given back if the write does not happen, settled once it is stored.
 */
export interface Reservation {
  /** The write failed or was a dry run: give back everything this reservation took. */
  revert(): Promise<void>;
  /** The write is stored: let go of what the old object held and the new one no longer does. */
  commit(): Promise<void>;
}

export interface ResourceStrategy {
  /** Field selector names beyond metadata.name and metadata.namespace (`spec.nodeName`, `status.phase`). */
  readonly selectableFields?: readonly string[];
  /** Values of `selectableFields` for one object. */
  fieldValues?(obj: StoredObject): Record<string, string>;
  /**
   * Kubernetes' defaulting for the kind (a pod's restartPolicy, a deployment's strategy, ...), applied to every
   * object written, on create and on update, before the create/update hooks and validation — as kube-apiserver
   * defaults every object it decodes.
   */
  defaults?(obj: StoredObject): void;
  /** Defaults and resets applied before validation on create (e.g. a new pod's status is Pending). */
  prepareForCreate?(obj: StoredObject): void;
  /** Defaults and resets on update; `old` is the stored object; `opts.subresource` names a subresource write. */
  prepareForUpdate?(obj: StoredObject, old: StoredObject, opts?: { subresource?: string }): void;
  /** Resource-specific validation of a new object (metadata is validated generically). */
  validate?(obj: StoredObject): StatusCause[];
  /** Resource-specific validation of an update. */
  validateUpdate?(obj: StoredObject, old: StoredObject): StatusCause[];
  /** Validates the name (default: DNS-1123 subdomain). Returns kube-worded problems. */
  validateName?(name: string): string[];
  /**
   * The grace period a delete gets, given the one asked for; 0 deletes at once. Resources without graceful
   * deletion leave it undefined.
   */
  gracePeriodSeconds?(obj: StoredObject, requested: number | undefined): number;
  /**
   * Takes what a new object needs beyond its own key (kube's BeginCreate), after validation and before the
   * write; may fill in fields (a Service's clusterIP). The registry reverts it when the write fails or is a dry
   * run.
   */
  reserveForCreate?(obj: StoredObject): Promise<Reservation>;
  /** The same for an update (kube's BeginUpdate); may run more than once when writers race (each earlier one reverted). */
  reserveForUpdate?(obj: StoredObject, old: StoredObject): Promise<Reservation>;
  /**
   * What a delete naming no propagation policy does with dependents (kube's DefaultGarbageCollectionPolicy):
   * DeleteDependents (background) unless the kind says OrphanDependents.
   */
  readonly defaultGarbageCollectionPolicy?: GarbageCollectionPolicy;
  /**
   * Whether the kind's own finalization still holds a deleted object (a namespace's spec.finalizers): while it
   * does, delete only marks the object, and the write that ends it (with no metadata.finalizers left) deletes it.
   */
  finalizing?(obj: StoredObject): boolean;
  /** Refuses a delete of the current object by throwing (a namespace whose content is being removed is a 409). */
  checkDelete?(current: StoredObject): void;
  /** Gives back what a deleted object held, once it is gone from storage. */
  afterDelete?(obj: StoredObject): Promise<void>;
  /** Present when the resource has a `scale` subresource. */
  readonly scale?: ScaleAccess;
  /**
   * Whether a create keeps the status it is given although the kind has a status subresource: a kubelet
   * registers its Node with capacity and conditions in one create.
   */
  readonly keepsStatusOnCreate?: boolean;
  /** Whether PUT of a missing object creates it (Kubernetes allows it for a few kinds, e.g. leases). */
  readonly allowCreateOnUpdate?: boolean;
  /** Whether PUT without a resourceVersion is allowed (true for most kinds). */
  readonly allowUnconditionalUpdate?: boolean;
  /** Columns `kubectl get` prints (server-side printing); absent = the default Name/Created At. */
  readonly table?: TableConvertor;
}

/** The strategy of one served resource together with its registry entry. */
export interface Resource {
  info: ResourceInfo;
  strategy: ResourceStrategy;
}

export function hasStatusSubresource(info: ResourceInfo): boolean {
  return info.subresources?.includes('status') ?? false;
}
