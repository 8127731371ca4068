/**
 * The apiserver's side of namespace deletion, with no controller running: a deleted namespace stays,
 * Terminating, while spec.finalizers holds it; the finalize subresource (PUT only) removes finalizers, and the
 * namespace goes when the last one does. A delete naming no policy on a v1 ReplicationController orphans.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../src/api/resources.js';
import type { Client } from '../../src/client/client.js';
import { APIError, isNotFound } from '../../src/client/errors.js';
import type { KubeObject } from '../../src/client/types.js';
import { startAPIServer, type Harness } from './harness.js';

const NAMESPACES = BUILTIN_RESOURCES.find((r) => r.group === '' && r.resource === 'namespaces')!;
const RCS = BUILTIN_RESOURCES.find((r) => r.group === '' && r.resource === 'replicationcontrollers')!;
type Namespace = KubeObject & { spec?: { finalizers?: string[] }; status?: { phase?: string } };

describe('namespace finalization (apiserver)', () => {
  let h: Harness;
  let client: Client;
  before(async () => {
    h = await startAPIServer();
    client = h.clients.inProcess;
  });
  after(async () => {
    await h?.stop();
  });

  test('a new namespace carries the kubernetes finalizer; a delete marks it Terminating and keeps it', async () => {
    const namespaces = client.resource<Namespace>(NAMESPACES);
    const created = await namespaces.create({ metadata: { name: 'held' } });
    assert.deepEqual(created.spec?.finalizers, ['kubernetes']);
    assert.equal(created.status?.phase, 'Active');
    // spec.finalizers cannot be changed by a plain update.
    const updated = await namespaces.update({ ...created, spec: { finalizers: [] } });
    assert.deepEqual(updated.spec?.finalizers, ['kubernetes']);
    const marked = (await namespaces.delete('held')) as Namespace;
    assert.ok(marked.metadata.deletionTimestamp);
    assert.equal(marked.status?.phase, 'Terminating');
    const again = await namespaces.delete('held').catch((e: unknown) => e);
    assert.ok(again instanceof APIError);
    assert.equal(again.code, 409);
    assert.equal(
      again.message,
      'Operation cannot be fulfilled on namespaces "held": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
    );
    const patchFinalize = await namespaces.patch('held', 'merge', { spec: { finalizers: [] } }, { subresource: 'finalize' }).catch((e: unknown) => e);
    assert.ok(patchFinalize instanceof APIError && patchFinalize.code === 405, 'finalize takes PUT only');
    const current = await namespaces.get('held');
    assert.equal(current.status?.phase, 'Terminating');
    await namespaces.updateSubresource({ ...current, spec: { finalizers: [] } }, 'finalize');
    await assert.rejects(namespaces.get('held'), (e) => isNotFound(e));
  });

  test('finalize with a finalizer left keeps the namespace; metadata changes in the body are ignored', async () => {
    const namespaces = client.resource<Namespace>(NAMESPACES);
    const created = await namespaces.create({ metadata: { name: 'two' }, spec: { finalizers: ['example.com/x'] } });
    assert.deepEqual(created.spec?.finalizers, ['example.com/x', 'kubernetes']);
    await namespaces.delete('two');
    const current = await namespaces.get('two');
    const finalized = await namespaces.updateSubresource({ ...current, metadata: { ...current.metadata, labels: { sneaky: 'yes' } }, spec: { finalizers: ['example.com/x'] } }, 'finalize');
    assert.deepEqual(finalized.spec?.finalizers, ['example.com/x']);
    assert.equal(finalized.metadata.labels?.sneaky, undefined);
    assert.equal((await namespaces.get('two')).status?.phase, 'Terminating');
    await namespaces.updateSubresource({ ...finalized, spec: { finalizers: [] } }, 'finalize');
    await assert.rejects(namespaces.get('two'), (e) => isNotFound(e));
  });

  test('a v1 ReplicationController deleted without a policy orphans its pods (kube keeps v1 default); an explicit policy wins', async () => {
    await client.resource(NAMESPACES).create({ metadata: { name: 'rc' } });
    const rcs = client.resource(RCS).namespace('rc');
    const body = (name: string) => ({ metadata: { name }, spec: { replicas: 0, selector: { a: name }, template: { metadata: { labels: { a: name } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } });
    await rcs.create(body('legacy'));
    const marked = (await rcs.delete('legacy')) as KubeObject;
    assert.deepEqual(marked.metadata.finalizers, ['orphan']);
    await rcs.create(body('explicit'));
    const gone = (await rcs.delete('explicit', { propagationPolicy: 'Background' })) as KubeObject;
    assert.equal(gone.metadata.finalizers, undefined);
    await assert.rejects(rcs.get('explicit'), (e) => isNotFound(e));
  });
});
