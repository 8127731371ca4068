/** Leader election on a Lease against a real apiserver: one leader at a time, hand-over on release and on expiry. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILTIN_RESOURCES } from '../../src/api/resources.js';
import { LeaderElector } from '../../src/client/leader-election.js';
import type { KubeObject } from '../../src/client/types.js';
import { until } from '../helpers/wait.js';
import { startAPIServer, type Harness } from './harness.js';

const LEASES = BUILTIN_RESOURCES.find((r) => r.group === 'coordination.k8s.io' && r.resource === 'leases')!;

describe('LeaderElector', () => {
  let h: Harness;
  before(async () => {
    h = await startAPIServer();
  });
  after(async () => {
    await h?.stop();
  });

  function candidate(name: string, identity: string, releaseOnCancel = true) {
    const state = { leading: false, started: 0, stopped: 0, leaders: [] as string[] };
    const elector = new LeaderElector(h.clients.inProcess, {
      namespace: 'kube-system',
      name,
      identity,
      leaseDurationMs: 1000,
      renewDeadlineMs: 800,
      retryPeriodMs: 100,
      releaseOnCancel,
      onStartedLeading: () => {
        state.leading = true;
        state.started++;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
      },
      onNewLeader: (id) => state.leaders.push(id),
    });
    return { elector, state };
  }

  test('one of two candidates leads; on release the other takes over at once', async () => {
    const a = candidate('release', 'a');
    a.elector.run();
    await until('a leads', () => a.state.leading);
    const b = candidate('release', 'b');
    b.elector.run();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(b.state.leading, false, 'b waits while a renews');
    assert.deepEqual(b.state.leaders, ['a']);
    const lease = await h.clients.inProcess.resource<KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } }>(LEASES).namespace('kube-system').get('release');
    assert.equal(lease.spec?.holderIdentity, 'a');
    const released = Date.now();
    await a.elector.stop();
    assert.equal(a.state.stopped, 1);
    await until('b leads', () => b.state.leading);
    assert.ok(Date.now() - released < 900, 'a released lease is taken without waiting out its duration');
    const taken = await h.clients.inProcess.resource<KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } }>(LEASES).namespace('kube-system').get('release');
    assert.equal(taken.spec?.holderIdentity, 'b');
    assert.equal(taken.spec?.leaseTransitions, 1);
    await b.elector.stop();
  });

  test('a leader that vanishes without releasing is replaced once its lease expires', async () => {
    const a = candidate('expiry', 'a', false);
    a.elector.run();
    await until('a leads', () => a.state.leading);
    await a.elector.stop(); // stops renewing, keeps the lease as a crashed process would
    const b = candidate('expiry', 'b');
    const started = Date.now();
    b.elector.run();
    await until('b leads', () => b.state.leading);
    assert.ok(Date.now() - started >= 900, `b waited out the lease (${Date.now() - started} ms)`);
    await b.elector.stop();
  });
});
