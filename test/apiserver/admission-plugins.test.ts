/** ServiceAccount, Priority, DefaultTolerationSeconds and DefaultStorageClass admission, on a fake cache. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusError } from '../../src/apimachinery/status.js';
import { AdmissionChain } from '../../src/apiserver/admission/admission.js';
import { DefaultStorageClass } from '../../src/apiserver/admission/default-storage-class.js';
import { DefaultTolerationSeconds } from '../../src/apiserver/admission/default-toleration-seconds.js';
import { Priority } from '../../src/apiserver/admission/priority.js';
import { ServiceAccount } from '../../src/apiserver/admission/service-account.js';
import type { StoredObject } from '../../src/apiserver/registry/strategy.js';
import { attrs, FakeReader, pod, PRIORITY_CLASSES, SERVICE_ACCOUNTS, STORAGE_CLASSES } from './admission-fake-reader.js';

type Spec = Record<string, unknown> & { containers: Array<Record<string, unknown>>; volumes?: Array<Record<string, unknown>> };
const specOf = (p: StoredObject): Spec => p.spec as Spec;

async function refusal(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as StatusError).code, 403);
    return (err as StatusError).message;
  }
  assert.fail('expected a refusal');
}

test('ServiceAccount: default account, projected token volume mounted read-only everywhere', async () => {
  const reader = new FakeReader();
  reader.put(SERVICE_ACCOUNTS, { metadata: { name: 'default', namespace: 'ns' } });
  const p = pod('p');
  specOf(p).initContainers = [{ name: 'init', image: 'busybox' }];
  await new ServiceAccount(reader).admit(attrs('pods', p));
  const spec = specOf(p);
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.volumes?.length, 1);
  const volume = spec.volumes![0]!;
  assert.match(String(volume.name), /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  const sources = (volume.projected as { sources: unknown[] }).sources;
  assert.deepEqual(sources[0], { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } });
  for (const c of [...spec.containers, ...(spec.initContainers as Array<Record<string, unknown>>)]) {
    assert.deepEqual(c.volumeMounts, [{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  }
});

test('ServiceAccount: automountServiceAccountToken false on the account, overridden by the pod', async () => {
  const reader = new FakeReader();
  reader.put(SERVICE_ACCOUNTS, { metadata: { name: 'bot', namespace: 'ns' }, automountServiceAccountToken: false, imagePullSecrets: [{ name: 'registry' }] });
  const plugin = new ServiceAccount(reader);
  const quiet = pod('q');
  specOf(quiet).serviceAccountName = 'bot';
  await plugin.admit(attrs('pods', quiet));
  assert.equal(specOf(quiet).volumes, undefined);
  assert.deepEqual(specOf(quiet).imagePullSecrets, [{ name: 'registry' }], "the account's pull secrets");
  const loud = pod('l');
  Object.assign(specOf(loud), { serviceAccount: 'bot', automountServiceAccountToken: true });
  await plugin.admit(attrs('pods', loud));
  assert.equal(specOf(loud).serviceAccountName, 'bot');
  assert.equal(specOf(loud).volumes?.length, 1);
});

test('ServiceAccount: waits briefly for a new namespace\'s default account, then refuses', async () => {
  const reader = new FakeReader();
  const plugin = new ServiceAccount(reader, { defaultAccountWaitMs: 400, pollIntervalMs: 20 });
  setTimeout(() => reader.put(SERVICE_ACCOUNTS, { metadata: { name: 'default', namespace: 'ns' } }), 100);
  await plugin.admit(attrs('pods', pod('p')));
  const started = Date.now();
  assert.equal(
    await refusal(plugin.admit(attrs('pods', pod('p'), { namespace: 'empty' }))),
    'pods "p" is forbidden: error looking up service account empty/default: serviceaccount "default" not found',
  );
  assert.ok(Date.now() - started >= 350, 'waited for the default account');
  // Another account is not waited for.
  const named = pod('n');
  specOf(named).serviceAccountName = 'ghost';
  const t = Date.now();
  assert.match(await refusal(plugin.admit(attrs('pods', named))), /error looking up service account ns\/ghost: serviceaccount "ghost" not found/);
  assert.ok(Date.now() - t < 200);
  // Without a controller creating default accounts, the default one is not required.
  await new ServiceAccount(new FakeReader(), { defaultAccountsManaged: false }).admit(attrs('pods', pod('p')));
});

test('Priority: class, built-in class, globalDefault, unknown class and conflicting values', async () => {
  const reader = new FakeReader();
  reader.put(PRIORITY_CLASSES, { metadata: { name: 'high' }, value: 1000, preemptionPolicy: 'Never' });
  const plugin = new Priority(reader);
  const withClass = (name: string, extra: object = {}): StoredObject => {
    const p = pod('x');
    Object.assign(specOf(p), { priorityClassName: name, ...extra });
    return p;
  };
  const hi = withClass('high');
  await plugin.admit(attrs('pods', hi));
  assert.deepEqual([specOf(hi).priority, specOf(hi).preemptionPolicy], [1000, 'Never']);
  const crit = withClass('system-cluster-critical');
  await plugin.admit(attrs('pods', crit));
  assert.deepEqual([specOf(crit).priority, specOf(crit).preemptionPolicy], [2000000000, 'PreemptLowerPriority']);
  const plain = pod('p');
  await plugin.admit(attrs('pods', plain));
  assert.deepEqual([specOf(plain).priority, specOf(plain).preemptionPolicy, specOf(plain).priorityClassName], [0, 'PreemptLowerPriority', undefined]);
  assert.equal(await refusal(plugin.admit(attrs('pods', withClass('foo')))), 'pods "x" is forbidden: no PriorityClass with name foo was found');
  assert.equal(
    await refusal(plugin.admit(attrs('pods', withClass('high', { priority: 5 })))),
    'pods "x" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
  );
  reader.put(PRIORITY_CLASSES, { metadata: { name: 'base' }, value: 10, globalDefault: true });
  const defaulted = pod('d');
  await plugin.admit(attrs('pods', defaulted));
  assert.deepEqual([specOf(defaulted).priority, specOf(defaulted).priorityClassName], [10, 'base']);
  assert.equal(
    await refusal(plugin.validate(attrs('scheduling.k8s.io/priorityclasses', { metadata: { name: 'other' }, value: 1, globalDefault: true }))),
    'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass base is already marked as default. Only one default can exist',
  );
});

test('DefaultTolerationSeconds: adds what is missing, keeps what the pod says', () => {
  const plugin = new DefaultTolerationSeconds();
  const p = pod('p');
  specOf(p).tolerations = [{ operator: 'Exists' }];
  plugin.admit(attrs('pods', p));
  assert.deepEqual(specOf(p).tolerations, [{ operator: 'Exists' }], 'a toleration of everything covers both');
  const q = pod('q');
  specOf(q).tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }];
  plugin.admit(attrs('pods', q));
  assert.deepEqual(specOf(q).tolerations, [
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test('DefaultStorageClass: the newest default class, only for claims that name none', async () => {
  const reader = new FakeReader();
  const annotations = { 'storageclass.kubernetes.io/is-default-class': 'true' };
  reader.put(STORAGE_CLASSES, { metadata: { name: 'old', annotations, creationTimestamp: '2026-01-01T00:00:00Z' } });
  reader.put(STORAGE_CLASSES, { metadata: { name: 'new', annotations, creationTimestamp: '2026-02-01T00:00:00Z' } });
  reader.put(STORAGE_CLASSES, { metadata: { name: 'plain', creationTimestamp: '2026-03-01T00:00:00Z' } });
  const plugin = new DefaultStorageClass(reader);
  const claim = (spec: object): StoredObject => ({ metadata: { name: 'c', namespace: 'ns' }, spec });
  const a = claim({});
  await plugin.admit(attrs('persistentvolumeclaims', a));
  assert.equal((a.spec as { storageClassName?: string }).storageClassName, 'new');
  const b = claim({ storageClassName: '' });
  await plugin.admit(attrs('persistentvolumeclaims', b));
  assert.equal((b.spec as { storageClassName?: string }).storageClassName, '');
  const beta: StoredObject = { metadata: { name: 'c', namespace: 'ns', annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } }, spec: {} };
  await plugin.admit(attrs('persistentvolumeclaims', beta));
  assert.equal((beta.spec as { storageClassName?: string }).storageClassName, undefined);
});

test('the chain defaults the object before the plugins see it, then runs admits before validates', async () => {
  const seen: string[] = [];
  const chain = new AdmissionChain(
    [
      { name: 'a', admit: () => void seen.push('admit a'), validate: () => void seen.push('validate a') },
      { name: 'b', admit: (x) => void seen.push(`admit b ${String(x.object?.defaulted)}`) },
    ],
    (x) => {
      x.object!.defaulted = true;
    },
  );
  await chain.run(attrs('pods', pod('p')));
  assert.deepEqual(seen, ['admit a', 'admit b true', 'validate a']);
});
