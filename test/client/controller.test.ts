/** The controller shape: workers call sync per key, never one key twice at once, retry failures with backoff. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Controller } from '../../src/client/controller.js';
import { until } from '../helpers/wait.js';
import { ItemExponentialFailureRateLimiter } from '../../src/client/rate-limiter.js';

describe('Controller', () => {
  test('a failing sync is retried with growing backoff until it succeeds, then its backoff is forgotten', async () => {
    const calls: number[] = [];
    let failures = 3;
    const controller = new Controller({
      name: 'test',
      rateLimiter: new ItemExponentialFailureRateLimiter<string>(20, 1000),
      sync: async () => {
        calls.push(performance.now());
        if (failures-- > 0) throw new Error('not yet');
      },
    });
    controller.run(2);
    controller.enqueue('k');
    await until('four syncs', () => calls.length === 4);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    assert.ok(gaps[0]! >= 15 && gaps[1]! >= 35 && gaps[2]! >= 75, `backoff 20, 40, 80 ms: ${gaps.map(Math.round).join(', ')}`);
    assert.equal(controller.queue.numRequeues('k'), 0, 'forgotten after success');
    await controller.stop();
  });

  test('events for a key being synced wait for it, and collapse into one more sync', async () => {
    let running = 0;
    let maxRunning = 0;
    let syncs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const controller = new Controller({
      name: 'test',
      sync: async () => {
        syncs++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (syncs === 1) await gate;
        running--;
      },
    });
    controller.run(4);
    controller.enqueue('k');
    await until('the first sync', () => syncs === 1);
    for (let i = 0; i < 5; i++) controller.enqueue('k');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(syncs, 1, 'no second worker takes the key');
    release();
    await until('the follow-up sync', () => syncs === 2);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(syncs, 2, 'five events, one more sync');
    assert.equal(maxRunning, 1);
    await controller.stop();
  });
});
