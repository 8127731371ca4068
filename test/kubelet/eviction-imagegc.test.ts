import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import pino from 'pino';
import type { Container, Image } from '../../src/kubelet/cri/types.js';
import { EvictionManager, evictionMessage, parseEvictionHard, pressure, rankForMemoryEviction } from '../../src/kubelet/eviction/manager.js';
import { ImageGCManager } from '../../src/kubelet/images/gc.js';
import type { PodSummary } from '../../src/kubelet/stats/summary.js';

const Mi = 1024 * 1024;
const logger = pino({ level: 'silent' });

function pod(name: string, opts: { memRequest?: string; priority?: number } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: name },
    spec: { priority: opts.priority ?? 0, containers: [{ name: 'c', resources: opts.memRequest ? { requests: { memory: opts.memRequest } } : {} }] },
  };
}

function usage(uid: string, bytes: number): PodSummary {
  return { podRef: { name: uid, namespace: 'default', uid }, memory: { time: '', workingSetBytes: bytes }, containers: [{ name: 'c', memory: { time: '', workingSetBytes: bytes } }] };
}

describe('kubelet eviction', () => {
  it('parses --eviction-hard quantities and percentages', () => {
    const t = parseEvictionHard('memory.available<100Mi,nodefs.available<10%');
    assert.deepEqual(t, [
      { signal: 'memory.available', quantity: '100Mi', bytes: 100 * Mi },
      { signal: 'nodefs.available', quantity: '10%', ratio: 0.1 },
    ]);
    assert.throws(() => parseEvictionHard('memory.free<1Gi'), /invalid eviction threshold "memory.free<1Gi"/);
  });

  it('reports pressure per signal', () => {
    const t = parseEvictionHard('memory.available<100Mi,nodefs.available<10%');
    assert.deepEqual(pressure(t, { memoryAvailableBytes: 50 * Mi, memoryCapacityBytes: 1000 * Mi, nodefsAvailableBytes: 500, nodefsCapacityBytes: 1000 }), { memory: true, disk: false });
    assert.deepEqual(pressure(t, { memoryAvailableBytes: 500 * Mi, memoryCapacityBytes: 1000 * Mi, nodefsAvailableBytes: 50, nodefsCapacityBytes: 1000 }), { memory: false, disk: true });
  });

  it('ranks pods over their request first, then by priority, then by usage above request', () => {
    const within = pod('within', { memRequest: '100Mi' });
    const overLowPrio = pod('over-low', { memRequest: '10Mi', priority: 0 });
    const overHighPrio = pod('over-high', { memRequest: '10Mi', priority: 1000 });
    const bigBestEffort = pod('big-besteffort');
    const stats = new Map([
      ['within', usage('within', 50 * Mi)],
      ['over-low', usage('over-low', 20 * Mi)],
      ['over-high', usage('over-high', 500 * Mi)],
      ['big-besteffort', usage('big-besteffort', 300 * Mi)],
    ]);
    assert.deepEqual(rankForMemoryEviction([within, overHighPrio, overLowPrio, bigBestEffort], stats).map((p) => p.metadata!.name), ['big-besteffort', 'over-low', 'over-high', 'within']);
  });

  it('words the eviction as the kubelet does and evicts one pod per round', async () => {
    const [t] = parseEvictionHard('memory.available<100Mi');
    assert.equal(
      evictionMessage(pod('p'), t!, 50 * Mi, usage('p', 200 * Mi)),
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 51200Ki. Container c was using 204800Ki, request is 0, has larger consumption of memory. ',
    );
    const evicted: string[] = [];
    const pods = [pod('a', { memRequest: '1Gi' }), pod('b')];
    const m = new EvictionManager({
      thresholds: parseEvictionHard('memory.available<100Mi'),
      observe: async () => ({
        observations: { memoryAvailableBytes: 10 * Mi, memoryCapacityBytes: 1000 * Mi, nodefsAvailableBytes: 1, nodefsCapacityBytes: 1 },
        summary: { node: { nodeName: 'n' }, pods: [usage('a', 10 * Mi), usage('b', 5 * Mi)] },
      }),
      activePods: () => pods.filter((p) => !evicted.includes(p.metadata!.name!)),
      evict: async (p) => void evicted.push(p.metadata!.name!),
      logger,
    });
    await m.synchronize();
    assert.deepEqual(evicted, ['b']);
    assert.equal(m.pressure.memory, true);
    await m.synchronize();
    assert.deepEqual(evicted, ['b', 'a']);
  });
});

describe('kubelet image garbage collection', () => {
  function setup(availableBytes: number) {
    let now = 1_000_000;
    const images: Image[] = [
      { id: 'sha256:used', repoTags: ['r/used:1'], repoDigests: [], size: 300 },
      { id: 'sha256:old', repoTags: ['r/old:1'], repoDigests: [], size: 200 },
      { id: 'sha256:newer', repoTags: ['r/newer:1'], repoDigests: [], size: 200 },
      { id: 'sha256:pause', repoTags: ['r/pause:3.9'], repoDigests: [], size: 100 },
    ];
    let containers: Partial<Container>[] = [{ imageRef: 'sha256:used', image: { image: 'sha256:used' } }, { imageRef: 'sha256:newer', image: { image: 'sha256:newer' } }];
    const removed: string[] = [];
    const gc = new ImageGCManager({
      runtime: { listContainers: async () => containers as Container[] },
      images: {
        listImages: async () => images.filter((i) => !removed.includes(i.id)),
        removeImage: async (spec) => void removed.push(spec.image),
      },
      fsUsage: async () => ({ capacityBytes: 1000, availableBytes }),
      pinned: ['r/pause:3.9'],
      now: () => now,
      logger,
    });
    return { gc, removed, advance: (ms: number) => (now += ms), stopUsing: () => (containers = containers.slice(0, 1)) };
  }

  it('does nothing under the high threshold', async () => {
    const { gc, removed } = setup(500);
    assert.equal(await gc.garbageCollect(), 0);
    assert.deepEqual(removed, []);
  });

  it('removes unused images, least recently used first, down to the low threshold; never used or pinned ones, never young ones', async () => {
    const { gc, removed, advance, stopUsing } = setup(100); // 90% used: over 85
    await gc.detectImages();
    assert.equal(await gc.garbageCollect(), 0, 'images younger than 2 minutes stay');
    advance(60_000);
    await gc.detectImages();
    stopUsing(); // `newer` was last used now; `old` never
    advance(120_000);
    // To get to 80% it must free 100 bytes: `old` (never used) goes, `newer` stays.
    assert.equal(await gc.garbageCollect(), 200);
    assert.deepEqual(removed, ['sha256:old']);
  });
});
