/**
 * Client-side `kubectl apply` round trip: a multi-container Deployment file is edited at random a few hundred
 * times (containers, env vars, ports, volumes and tolerations added, removed, reordered and changed) and
 * re-applied after each edit. The live object must then hold exactly what the file says, with the fields the
 * server defaulted and the ones set outside the file kept. The seed is fixed so a failure reproduces;
 * K8TS_FUZZ_SEED=random (or a number) explores, K8TS_APPLY_EDITS sets how many edits.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Container, Toleration, Volume } from 'kubernetes-types/core/v1.js';
import { stringify as toYAML } from 'yaml';
import { APIClient } from '../helpers/api-client.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { ok } from '../helpers/kubectl-e2e.js';

const EDITS = Number(process.env.K8TS_APPLY_EDITS ?? 200);
const SEED = process.env.K8TS_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.K8TS_FUZZ_SEED ?? 20261125);

/** mulberry32: small, seedable, good enough to pick edits. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Model {
  containers: Container[];
  volumes: Volume[];
  tolerations: Toleration[];
}

class Editor {
  private serial = 0;
  constructor(readonly rand: () => number, readonly model: Model) {}

  private pick<T>(items: T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.rand() * items.length)];
  }

  private next(): number {
    return ++this.serial;
  }

  private swap<T>(items: T[]): void {
    if (items.length < 2) return;
    const i = Math.floor(this.rand() * items.length);
    const j = (i + 1 + Math.floor(this.rand() * (items.length - 1))) % items.length;
    [items[i], items[j]] = [items[j]!, items[i]!];
  }

  private remove<T>(items: T[], keep = 0): void {
    if (items.length <= keep) return;
    items.splice(Math.floor(this.rand() * items.length), 1);
  }

  /** Container ports are unique across the pod, as are port names. */
  private freePort(): number {
    const used = new Set(this.model.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)));
    let port = 8000 + Math.floor(this.rand() * 1000);
    while (used.has(port)) port++;
    return port;
  }

  newContainer(): Container {
    const n = this.next();
    return { name: `c${n}`, image: `registry.local/app:${n}`, env: [{ name: `E${this.next()}`, value: 'v' }], ports: [{ containerPort: this.freePort(), name: `p${this.next()}` }] };
  }

  /** One random edit of the model; returns what it did, for failure messages. */
  edit(): string {
    const m = this.model;
    const c = this.pick(m.containers)!;
    const ops: [string, () => void][] = [
      ['add container', () => m.containers.splice(Math.floor(this.rand() * (m.containers.length + 1)), 0, this.newContainer())],
      ['remove container', () => this.remove(m.containers, 1)],
      ['reorder containers', () => this.swap(m.containers)],
      ['change image', () => (c.image = `registry.local/app:${this.next()}`)],
      ['add env', () => (c.env ??= []).push({ name: `E${this.next()}`, value: String(this.next()) })],
      ['remove env', () => this.remove(c.env ?? [])],
      ['change env', () => { const e = this.pick(c.env ?? []); if (e) e.value = String(this.next()); }],
      ['reorder env', () => this.swap(c.env ?? [])],
      ['add port', () => (c.ports ??= []).push({ containerPort: this.freePort(), ...(this.rand() < 0.5 ? { name: `p${this.next()}` } : {}) })],
      ['remove port', () => this.remove(c.ports ?? [])],
      ['change port', () => { const p = this.pick(c.ports ?? []); if (p) p.containerPort = this.freePort(); }],
      ['add volume', () => m.volumes.push({ name: `v${this.next()}`, ...(this.rand() < 0.5 ? { emptyDir: {} } : { configMap: { name: `cm${this.next()}` } }) })],
      ['remove volume', () => this.remove(m.volumes)],
      ['switch volume source', () => {
        const v = this.pick(m.volumes);
        if (!v) return;
        if (v.emptyDir) {
          delete v.emptyDir;
          v.configMap = { name: `cm${this.next()}` };
        } else {
          delete v.configMap;
          v.emptyDir = {};
        }
      }],
      ['add toleration', () => m.tolerations.push({ key: `k${this.next()}`, operator: 'Equal', value: 'x', effect: 'NoSchedule' })],
      ['remove toleration', () => this.remove(m.tolerations)],
    ];
    const [name, run] = this.pick(ops)!;
    run();
    for (const ctr of m.containers) {
      if (ctr.env?.length === 0) delete ctr.env;
      if (ctr.ports?.length === 0) delete ctr.ports;
    }
    return `${name} (${c.name})`;
  }

  deployment(): Deployment {
    const m = this.model;
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: structuredClone(m.containers),
            ...(m.volumes.length > 0 ? { volumes: structuredClone(m.volumes) } : {}),
            ...(m.tolerations.length > 0 ? { tolerations: structuredClone(m.tolerations) } : {}),
          },
        },
      },
    };
  }
}

/** `live` cut down to the fields `want` has; lists must have the same length (nothing extra, nothing missing). */
function project(live: unknown, want: unknown, path: string): unknown {
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(live), `${path}: not a list in the live object`);
    assert.equal(live.length, want.length, `${path}: live list has ${live.length} items, the file ${want.length}: ${JSON.stringify(live)}`);
    return want.map((w, i) => project(live[i], w, `${path}[${i}]`));
  }
  if (want !== null && typeof want === 'object') {
    assert.ok(live !== null && typeof live === 'object', `${path}: missing in the live object`);
    return Object.fromEntries(Object.keys(want).map((k) => [k, project((live as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`)]));
  }
  return live;
}

describe('kubectl apply round trip of an edited multi-container Deployment', () => {
  let cluster: TestCluster;
  let client: APIClient;

  before(async () => {
    cluster = await startCluster();
    client = await APIClient.fromKubeconfig(cluster.kubeconfig);
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  test(`${EDITS} random edits, each applied, leave exactly the file's fields (seed ${SEED})`, async () => {
    const editor = new Editor(prng(SEED), { containers: [], volumes: [], tolerations: [] });
    editor.model.containers.push(editor.newContainer(), editor.newContainer());
    const file = join(cluster.dataDir, 'web.yaml');
    await writeFile(file, toYAML(editor.deployment()));
    ok(await cluster.kubectl(['apply', '-f', file]));
    // Set outside the file: apply must keep it.
    ok(await cluster.kubectl(['annotate', 'deployment', 'web', 'team=payments']));
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const uid = (await client.json<Deployment>('GET', path)).object.metadata!.uid;
    const history: string[] = [];
    for (let i = 0; i < EDITS; i++) {
      const edits = 1 + Math.floor(editor.rand() * 3);
      for (let e = 0; e < edits; e++) history.push(editor.edit());
      const want = editor.deployment();
      await writeFile(file, toYAML(want));
      const applied = await cluster.kubectl(['apply', '-f', file]);
      assert.equal(applied.code, 0, `edit ${i} (${history.slice(-edits).join(', ')}): ${applied.stderr}`);
      const live = (await client.json<Deployment>('GET', path)).object;
      const context = `after edit ${i} (${history.slice(-edits).join(', ')})`;
      assert.deepEqual(project(live.spec!.template.spec, want.spec!.template.spec, 'spec.template.spec'), want.spec!.template.spec, context);
      // Fields the file never sets: defaulted by the server, or set by someone else, survive every apply.
      assert.equal(live.metadata!.uid, uid, context);
      assert.equal(live.metadata!.annotations?.team, 'payments', context);
      for (const c of live.spec!.template.spec!.containers) {
        assert.equal(c.terminationMessagePath, '/dev/termination-log', context);
        for (const p of c.ports ?? []) assert.equal(p.protocol, 'TCP', context);
      }
      assert.equal(live.spec!.strategy?.type, 'RollingUpdate', context);
    }
  });
});
