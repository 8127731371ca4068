import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One measured step of a benchmark suite. */
export interface BenchRow {
  suite: string;
  backend: string;
  step: string;
  value: number;
  unit: string;
  p50?: number;
  p99?: number;
  note?: string;
}

/** A target from an issue and whether this run met it. */
export interface Check {
  target: string;
  actual: string;
  ok: boolean;
}

/** The p-th percentile (nearest rank) of samples. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const fmt = (n: number | undefined): string =>
  n === undefined ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(n === Math.trunc(n) ? 0 : 2);

/** Prints rows and checks as aligned tables. */
export function printTable(rows: BenchRow[], checks: Check[]): string {
  const table = [
    ['suite', 'backend', 'step', 'value', 'unit', 'p50 ms', 'p99 ms', 'note'],
    ...rows.map((r) => [r.suite, r.backend, r.step, fmt(r.value), r.unit, fmt(r.p50), fmt(r.p99), r.note ?? '']),
  ];
  const lines = [align(table)];
  if (checks.length > 0) {
    lines.push('', align([['target', 'this run', 'met'], ...checks.map((c) => [c.target, c.actual, c.ok ? 'yes' : 'NO'])]));
  }
  return lines.join('\n');
}

function align(table: string[][]): string {
  const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)));
  return table.map((row) => row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ').trimEnd()).join('\n');
}

/** Writes the run as JSON under bench/results/, returning the file's path. */
export function writeResults(suite: string, rows: BenchRow[], checks: Check[]): string {
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { node: process.version, platform: process.platform, arch: process.arch };
  writeFileSync(file, JSON.stringify({ suite, at: new Date().toISOString(), machine, rows, checks }, null, 2) + '\n');
  return file;
}
