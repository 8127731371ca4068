/**
 * Building blocks of server-side printing: column definitions and the cell formats kube-apiserver's
 * printers use (ages as human durations, `<none>` for empty values).
 */
import type { KubeObject } from '../registry/strategy.js';
import type { TableColumnDefinition } from '../table.js';

/** A column; `priority` 1 columns are the extra ones `-o wide` shows. */
export function column(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

export const NAME_COLUMN = column('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
export const AGE_COLUMN = column('Age', 'string', 'The time since the object was created (its creationTimestamp).');

/**
 * A duration the way kubectl shows ages (Go's duration.HumanDuration): `45s`, `3m20s`, `15m`, `5h10m`,
 * `3d4h`, `2y10d`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 2) return `${days}d`;
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** Time since a timestamp, as a cell; `<unknown>` when there is none. */
export function since(timestamp: string | undefined | null, now: number): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

/** The Age cell of an object. */
export function age(obj: KubeObject, now: number): string {
  return since(obj.metadata?.creationTimestamp, now);
}

/** `<none>` for an empty value, as kubectl prints it. */
export function orNone(value: string | undefined | null): string {
  return value ? value : '<none>';
}
