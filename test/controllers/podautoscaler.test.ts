/**
 * The horizontal pod autoscaler controller on a fake apiserver: the target's scale read through `/scale`,
 * brought into [minReplicas, maxReplicas] when outside (SucceededRescale, lastScaleTime), left alone inside
 * with ScalingActive=False FailedGetResourceMetric (no metrics API), FailedGetScale for a missing target,
 * ScalingDisabled at zero replicas; and `kubectl get hpa`'s Targets cell.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HorizontalPodAutoscaler, MetricSpec } from 'kubernetes-types/autoscaling/v2.js';
import { formatHPAMetrics } from '../../src/apiserver/printers/horizontalpodautoscalers.js';
import { HORIZONTALPODAUTOSCALERS, HorizontalController, type HPAObject } from '../../src/controllers/podautoscaler/podautoscaler.js';
import { fakeContext, statusAnswer } from './fake-client.js';

const CPU_80: MetricSpec = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } };
const SCALE_PATH = '/apis/apps/v1/namespaces/ns/deployments/web/scale';
const STATUS_PATH = '/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers/web/status';

function hpa(min: number, max: number, status?: HorizontalPodAutoscaler['status']): HPAObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'ns', uid: 'hpa-uid', resourceVersion: '3' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: min, maxReplicas: max, metrics: [CPU_80] },
    ...(status ? { status } : {}),
  };
}

/** One sync of `h` against a deployment at `replicas` (undefined: no such deployment). */
async function reconcile(h: HPAObject, replicas: number | undefined) {
  const { ctx, requests } = fakeContext((req) => {
    if (req.path === SCALE_PATH && req.method === 'GET') {
      if (replicas === undefined) return statusAnswer(404, 'NotFound', 'deployments.apps "web" not found');
      return { status: 200, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'ns' }, spec: { replicas }, status: { replicas, selector: 'app=web' } } };
    }
    return { status: 200, body: req.body ?? {} };
  });
  const controller = new HorizontalController(ctx);
  await controller.init();
  ctx.informers.informerFor(HORIZONTALPODAUTOSCALERS).indexer.upsert(h);
  await controller.reconcileAutoscaler(h);
  await controller.stop();
  const writes = requests((r) => r.method !== 'GET');
  const statusWrite = writes.find((r) => r.path === STATUS_PATH);
  return { writes, scaleWrite: writes.find((r) => r.path === SCALE_PATH), status: (statusWrite?.body as HorizontalPodAutoscaler | undefined)?.status };
}

const conditionsOf = (s: HorizontalPodAutoscaler['status']): Record<string, string[]> =>
  Object.fromEntries((s?.conditions ?? []).map((c) => [c.type, [c.status, c.reason ?? '', c.message ?? '']]));

describe('horizontal pod autoscaler', () => {
  test('below minReplicas: the target is scaled to the minimum and the status says so', async () => {
    const { scaleWrite, status } = await reconcile(hpa(3, 5), 1);
    assert.equal(scaleWrite?.method, 'PUT');
    assert.equal((scaleWrite?.body as { spec: { replicas: number } }).spec.replicas, 3);
    assert.equal(status?.currentReplicas, 1);
    assert.equal(status?.desiredReplicas, 3);
    assert.ok(status?.lastScaleTime, 'a rescale sets lastScaleTime');
    assert.deepEqual(conditionsOf(status), { AbleToScale: ['True', 'SucceededRescale', 'the HPA controller was able to update the target scale to 3'] });
  });

  test('above maxReplicas: scaled down to the maximum', async () => {
    const { scaleWrite, status } = await reconcile(hpa(1, 4), 9);
    assert.equal((scaleWrite?.body as { spec: { replicas: number } }).spec.replicas, 4);
    assert.deepEqual([status?.currentReplicas, status?.desiredReplicas], [9, 4]);
  });

  test('within bounds without a metrics API: no rescale, ScalingActive False with kube\'s message', async () => {
    const { scaleWrite, status } = await reconcile(hpa(3, 5, { currentReplicas: 1, desiredReplicas: 3, lastScaleTime: '2026-01-01T00:00:00Z' }), 3);
    assert.equal(scaleWrite, undefined);
    assert.equal(status?.currentReplicas, 3);
    assert.equal(status?.desiredReplicas, 3, 'the last desired count stays');
    assert.equal(status?.lastScaleTime, '2026-01-01T00:00:00Z');
    assert.deepEqual(status?.currentMetrics, [{ type: '' }], 'one unread status per metric, as kube writes it');
    assert.deepEqual(conditionsOf(status), {
      AbleToScale: ['True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale"],
      ScalingActive: [
        'False',
        'FailedGetResourceMetric',
        'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)',
      ],
    });
  });

  test('a missing target: AbleToScale False FailedGetScale, nothing scaled', async () => {
    const { scaleWrite, status } = await reconcile(hpa(1, 5), undefined);
    assert.equal(scaleWrite, undefined);
    assert.deepEqual(conditionsOf(status), {
      AbleToScale: ['False', 'FailedGetScale', 'the HPA controller was unable to get the target\'s current scale: deployments.apps "web" not found'],
    });
  });

  test('a target at zero replicas: scaling is disabled', async () => {
    const { scaleWrite, status } = await reconcile(hpa(2, 5), 0);
    assert.equal(scaleWrite, undefined);
    assert.deepEqual(conditionsOf(status).ScalingActive, ['False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero']);
    assert.deepEqual([status?.currentReplicas, status?.desiredReplicas], [0, 0]);
  });

  test('a status that would not change is not written; a condition keeps its transition time while its status holds', async () => {
    const first = await reconcile(hpa(3, 5, { currentReplicas: 1, desiredReplicas: 3 }), 3);
    const again = await reconcile(hpa(3, 5, first.status), 3);
    assert.equal(again.writes.length, 0);
  });
});

describe('what makes an HPA sync before its period', () => {
  test('a new HPA and a spec change do; a status write does not', async () => {
    const { ctx } = fakeContext(() => ({ status: 200, body: {} }));
    const controller = new HorizontalController(ctx);
    await controller.init();
    const informer = ctx.informers.informerFor<HPAObject>(HORIZONTALPODAUTOSCALERS);
    type Handler = { onAdd?(o: HPAObject, initial: boolean): void; onUpdate?(a: HPAObject, b: HPAObject): void };
    const deliver = (fn: (h: Handler) => void): void => (informer as unknown as { dispatch(f: typeof fn): void }).dispatch(fn);
    const queue = (controller as unknown as { controller: { queue: { len(): number } } }).controller.queue;
    deliver((h) => h.onAdd?.(hpa(1, 5), false));
    assert.equal(queue.len(), 1);
    const queued = queue.len();
    deliver((h) => h.onUpdate?.(hpa(1, 5), hpa(1, 5, { currentReplicas: 2, desiredReplicas: 2 })));
    assert.equal(queue.len(), queued, 'status only');
    await controller.stop();
    const { ctx: ctx2 } = fakeContext(() => ({ status: 200, body: {} }));
    const again = new HorizontalController(ctx2);
    await again.init();
    const informer2 = ctx2.informers.informerFor<HPAObject>(HORIZONTALPODAUTOSCALERS);
    (informer2 as unknown as { dispatch(f: (h: Handler) => void): void }).dispatch((h) => h.onUpdate?.(hpa(1, 5), hpa(2, 5)));
    assert.equal((again as unknown as { controller: { queue: { len(): number } } }).controller.queue.len(), 1, 'minReplicas changed');
    await again.stop();
  });
});

describe('kubectl get hpa targets', () => {
  test('unknown and known utilizations, average values, and more than two metrics', () => {
    assert.equal(formatHPAMetrics([CPU_80], undefined), 'cpu: <unknown>/80%');
    assert.equal(formatHPAMetrics([CPU_80], [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42 } } }]), 'cpu: 42%/80%');
    const mem: MetricSpec = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } };
    const pods: MetricSpec = { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } };
    assert.equal(formatHPAMetrics([CPU_80, mem, pods], [{ type: '' } as never]), 'cpu: <unknown>/80%, memory: <unknown>/500Mi + 1 more...');
    assert.equal(formatHPAMetrics([], undefined), '<none>');
  });
});
