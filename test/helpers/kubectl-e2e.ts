/** Shared by the kubectl end-to-end suites: assertions on kubectl's results and manifest builders. */
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { stringify as toYAML } from 'yaml';
import type { KubectlResult } from './cluster.js';

/** Asserts kubectl exited 0; returns what it printed on stdout. */
export function ok(r: KubectlResult): string {
  assert.equal(r.code, 0, `kubectl exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Asserts kubectl exited 1 (a failed command); returns what it printed on stderr. */
export function failed(r: KubectlResult): string {
  assert.equal(r.code, 1, `kubectl should have failed, exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stderr;
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** A multi-document YAML manifest for `kubectl create -f -` (YAML 1.1 quoting, as kubectl reads `y`/`no` as booleans). */
export function manifest(...objects: object[]): string {
  return objects.map((o) => toYAML(o, { version: '1.1' })).join('---\n');
}

export function configMap(name: string, extra: { data?: Record<string, string>; labels?: Record<string, string>; finalizers?: string[] } = {}): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.finalizers ? { finalizers: extra.finalizers } : {}) },
    ...(extra.data ? { data: extra.data } : {}),
  };
}
