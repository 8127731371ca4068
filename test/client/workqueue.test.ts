/** The work queue and its rate limiters: client-go's semantics (dedupe, no item in two workers, backoff). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter } from '../../src/client/rate-limiter.js';
import { DelayingQueue, RateLimitingQueue, WorkQueue } from '../../src/client/workqueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  test('an item added many times before a worker takes it is handed out once, in first-added order', async () => {
    const q = new WorkQueue<string>();
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    assert.equal(q.len(), 3);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
    assert.equal(q.len(), 0);
  });

  test('an item added while being processed is not handed to a second worker, and comes back after done', async () => {
    const q = new WorkQueue<string>();
    q.add('a');
    const item = await q.get();
    assert.equal(item, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'not queued while a worker holds it');
    let second: string | undefined;
    const waiting = q.get().then((i) => (second = i));
    await sleep(5);
    assert.equal(second, undefined, 'no worker gets it while it is processing');
    q.done('a');
    await waiting;
    assert.equal(second, 'a', 'processed again, once');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  test('a waiting worker gets the next added item; shutDown releases waiting workers with undefined', async () => {
    const q = new WorkQueue<string>();
    const first = q.get();
    q.add('x');
    assert.equal(await first, 'x');
    const blocked = q.get();
    q.shutDown();
    assert.equal(await blocked, undefined);
    q.add('y');
    assert.equal(await q.get(), undefined, 'nothing is added after shutdown');
  });
});

describe('DelayingQueue', () => {
  test('addAfter adds once the delay has passed; the earliest pending delay wins', async () => {
    const q = new DelayingQueue<string>();
    q.addAfter('a', 40);
    q.addAfter('a', 400);
    q.addAfter('b', 0);
    assert.equal(await q.get(), 'b');
    q.done('b');
    assert.equal(q.len(), 0);
    const started = performance.now();
    assert.equal(await q.get(), 'a');
    const waited = performance.now() - started;
    assert.ok(waited >= 30 && waited < 300, `waited ${waited} ms`);
    q.shutDown();
  });
});

describe('rate limiters', () => {
  test('per-item exponential backoff doubles from 5 ms to a 1000 s cap, per item, and forget starts over', () => {
    const rl = new ItemExponentialFailureRateLimiter<string>(5, 1_000_000);
    assert.deepEqual([rl.when('a'), rl.when('a'), rl.when('a'), rl.when('a')], [5, 10, 20, 40]);
    assert.equal(rl.when('b'), 5, 'other items have their own count');
    assert.equal(rl.numRequeues('a'), 4);
    for (let i = 0; i < 40; i++) rl.when('a');
    assert.equal(rl.when('a'), 1_000_000);
    rl.forget('a');
    assert.equal(rl.numRequeues('a'), 0);
    assert.equal(rl.when('a'), 5);
  });

  test('the token bucket lets a burst through at once, then paces at qps', () => {
    let now = 0;
    const rl = new BucketRateLimiter<string>(10, 3, () => now);
    assert.deepEqual([rl.when('a'), rl.when('b'), rl.when('c')], [0, 0, 0]);
    assert.equal(rl.when('d'), 100);
    assert.equal(rl.when('e'), 200);
    now = 1000;
    assert.equal(rl.when('f'), 0, 'tokens refill over time');
  });

  test('the controller default is the larger of both', () => {
    let now = 0;
    const rl = new MaxOfRateLimiter<string>(new ItemExponentialFailureRateLimiter<string>(5, 1_000_000), new BucketRateLimiter<string>(10, 1, () => now));
    assert.equal(rl.when('a'), 5);
    assert.equal(rl.when('a'), 100, 'the bucket is empty: 100 ms beats 10 ms');
    assert.equal(rl.numRequeues('a'), 2);
    assert.ok(defaultControllerRateLimiter<string>().when('x') === 5);
  });
});

describe('RateLimitingQueue', () => {
  test('addRateLimited re-adds after the backoff; forget resets it', async () => {
    const q = new RateLimitingQueue<string>(new ItemExponentialFailureRateLimiter<string>(20, 1000));
    q.addRateLimited('a');
    assert.equal(q.len(), 0, 'not before its backoff');
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.numRequeues('a'), 1);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    q.shutDown();
  });
});
