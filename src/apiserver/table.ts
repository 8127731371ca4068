/**
 * Server-side printing (meta.k8s.io/v1 Table), what `kubectl get` asks for: a resource's own columns (its
 * strategy's `table`) or kube-apiserver's default convertor (Name, Created At).
 */
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from './registry/strategy.js';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** A resource's columns and how to fill them for one object. */
export interface TableConvertor {
  columns: readonly TableColumnDefinition[];
  /** Cells in column order (the first is the name); `now` is the time ages are measured to (ms). */
  cells(obj: KubeObject, now: number): unknown[];
}

const DEFAULT_COLUMNS: TableColumnDefinition[] = [
  {
    name: 'Name',
    type: 'string',
    format: 'name',
    description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
    priority: 0,
  },
  {
    name: 'Created At',
    type: 'date',
    format: '',
    description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
    priority: 0,
  },
];

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The metadata-only form of an object that Table rows carry by default. */
export function partialObjectMetadata(obj: KubeObject): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
}

function row(obj: KubeObject, include: IncludeObject, convertor: TableConvertor | undefined, now: number): object {
  const meta: ObjectMeta = obj.metadata ?? {};
  const cells = convertor ? convertor.cells(obj, now) : [meta.name ?? '', meta.creationTimestamp ?? ''];
  if (include === 'None') return { cells };
  return { cells, object: include === 'Object' ? obj : partialObjectMetadata(obj) };
}

/** A Table of `objects`; `listMeta` carries resourceVersion/continue for lists. */
export function toTable(
  objects: readonly KubeObject[],
  opts: { include: IncludeObject; noHeaders?: boolean; listMeta?: Record<string, unknown>; convertor?: TableConvertor | undefined },
): object {
  const now = Date.now();
  const table: Record<string, unknown> = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMeta ?? {},
  };
  if (!opts.noHeaders) table.columnDefinitions = opts.convertor?.columns ?? DEFAULT_COLUMNS;
  table.rows = objects.map((o) => row(o, opts.include, opts.convertor, now));
  return table;
}

/** Reads `includeObject` as kube-apiserver does (default Metadata); anything else is refused by the caller. */
export function parseIncludeObject(value: string | null): IncludeObject | undefined {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  return undefined;
}
