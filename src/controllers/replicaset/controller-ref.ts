/**
 * Adoption and release (kube's ControllerRefManager): a controller claims the objects its selector matches.
 * An orphan that matches is adopted (gets the controller's reference); an object it owns that no longer
 * matches is released (loses it); objects owned by another controller are left alone.
 */
import type { LabelSelector } from '../../apimachinery/labels.js';
import type { ResourceClient } from '../../client/client.js';
import { isInvalid, isNotFound } from '../../client/errors.js';
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

/** The objects `owner` controls after adopting and releasing as its selector says. */
export async function claimObjects<T extends KubeObject>(objects: readonly T[], opts: ClaimOptions<T>): Promise<T[]> {
  const { owner, selector } = opts;
  const ownerUID = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  let adoptable: Promise<boolean> | undefined;
  const claimed: T[] = [];
  await Promise.all(
    objects.map(async (obj) => {
      const ref = controllerRefOf(obj);
      const matches = selector.matches(obj.metadata.labels ?? {});
      if (ref) {
        if (ref.uid !== ownerUID) return;
        if (matches) return void claimed.push(obj);
        // Owned but no longer selected: release it (unless the owner is going away anyway).
        if (!ownerDeleting) await release(obj, opts);
        return;
      }
      if (ownerDeleting || !matches || obj.metadata.deletionTimestamp) return;
      adoptable ??= opts.canAdopt().catch(() => false);
      if (!(await adoptable)) return;
      const adopted = await adopt(obj, opts);
      if (adopted) claimed.push(adopted);
    }),
  );
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
