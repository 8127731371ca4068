/**
 * Adoption and release (kube's ControllerRefManager): a controller claims the objects its selector matches.
 * An orphan that matches is adopted (gets the controller's reference); an object it owns that no longer
 * matches is released (loses it); objects owned by another controller are left alone.
 */
import type { LabelSelector } from '../../apimachinery/labels.js';
import type { ResourceClient } from '../../client/client.js';
import { isInvalid, isNotFound } from '../../client/errors.js';
import type { Indexer, IndexFunc } from '../../client/indexer.js';
import type { KubeObject, OwnerReference } from '../../client/types.js';
import { controllerRefOf } from './pods.js';

export interface ClaimOptions<T extends KubeObject> {
  owner: KubeObject;
  /** The reference to put on adopted objects. */
  ref: OwnerReference;
  selector: LabelSelector;
  /** Writes to the claimed objects' resource (namespaced as the owner). */
  client: ResourceClient<T>;
  /**
   * Asked once before the first adoption: whether the owner may still adopt (kube re-reads it from the API
   * so a deleted-and-recreated owner does not adopt with a stale UID). Rejects or answers false to refuse.
   */
  canAdopt: () => Promise<boolean>;
}

/**
 * The index that files an object under its controller's UID, and an object without a controller under its
 * namespace as an orphan: a sync then looks at what its owner may claim, not at the whole namespace.
 */
export const CONTROLLER_INDEX = 'controller';

/** UIDs never hold a colon, so orphan values cannot collide with a controller's UID. */
const orphansOf = (namespace: string): string => `orphan:${namespace}`;

export const controllerIndexFunc: IndexFunc<KubeObject> = (obj) => [controllerRefOf(obj)?.uid ?? orphansOf(obj.metadata.namespace ?? '')];

/** What `owner` may claim from an indexer with CONTROLLER_INDEX: the objects it controls and its namespace's orphans. */
export function claimCandidates<T extends KubeObject>(indexer: Indexer<T>, owner: KubeObject): T[] {
  const owned = indexer.byIndex(CONTROLLER_INDEX, owner.metadata.uid ?? '');
  const orphans = indexer.byIndex(CONTROLLER_INDEX, orphansOf(owner.metadata.namespace ?? ''));
  return orphans.length === 0 ? owned : owned.concat(orphans);
}

/** The objects `owner` controls after adopting and releasing as its selector says. */
export async function claimObjects<T extends KubeObject>(objects: readonly T[], opts: ClaimOptions<T>): Promise<T[]> {
  const { owner, selector } = opts;
  const ownerUID = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const claimed: T[] = [];
  const toRelease: T[] = [];
  const toAdopt: T[] = [];
  for (const obj of objects) {
    const ref = controllerRefOf(obj);
    const matches = selector.matches(obj.metadata.labels ?? {});
    if (ref) {
      if (ref.uid !== ownerUID) continue;
      if (matches) claimed.push(obj);
      // Owned but no longer selected: release it (unless the owner is going away anyway).
      else if (!ownerDeleting) toRelease.push(obj);
    } else if (!ownerDeleting && matches && !obj.metadata.deletionTimestamp) {
      toAdopt.push(obj);
    }
  }
  const adoptAll = async (): Promise<(T | undefined)[]> =>
    toAdopt.length > 0 && (await opts.canAdopt().catch(() => false)) ? Promise.all(toAdopt.map((obj) => adopt(obj, opts))) : [];
  const [, adopted] = await Promise.all([Promise.all(toRelease.map((obj) => release(obj, opts))), adoptAll()]);
  for (const obj of adopted) if (obj) claimed.push(obj);
  return claimed;
}

async function adopt<T extends KubeObject>(obj: T, opts: ClaimOptions<T>): Promise<T | undefined> {
  const patch = { metadata: { ownerReferences: [opts.ref], uid: obj.metadata.uid } };
  try {
    return await opts.client.namespace(obj.metadata.namespace ?? '').patch(obj.metadata.name ?? '', 'strategic', patch);
  } catch (err) {
    // Gone, or replaced by another object of the same name (the uid precondition fails): nothing to adopt.
    if (isNotFound(err) || isInvalid(err)) return undefined;
    throw err;
  }
}

async function release<T extends KubeObject>(obj: T, opts: ClaimOptions<T>): Promise<void> {
  const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid: opts.owner.metadata.uid }], uid: obj.metadata.uid } };
  try {
    await opts.client.namespace(obj.metadata.namespace ?? '').patch(obj.metadata.name ?? '', 'strategic', patch);
  } catch (err) {
    if (isNotFound(err) || isInvalid(err)) return;
    throw err;
  }
}
