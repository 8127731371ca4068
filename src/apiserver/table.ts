/**
 * Server-side printing (meta.k8s.io/v1 Table), what `kubectl get` asks for. This is kube-apiserver's default
 * table convertor (Name, Created At), used for every resource until per-resource columns land.
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

function row(obj: KubeObject, include: IncludeObject): object {
  const meta: ObjectMeta = obj.metadata ?? {};
  const cells = [meta.name ?? '', meta.creationTimestamp ?? ''];
  if (include === 'None') return { cells };
  return { cells, object: include === 'Object' ? obj : partialObjectMetadata(obj) };
}

/** A Table of `objects`; `listMeta` carries resourceVersion/continue for lists. */
export function toTable(
  objects: readonly KubeObject[],
  opts: { include: IncludeObject; noHeaders?: boolean; listMeta?: Record<string, unknown> },
): object {
  const table: Record<string, unknown> = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.listMeta ?? {},
  };
  if (!opts.noHeaders) table.columnDefinitions = DEFAULT_COLUMNS;
  table.rows = objects.map((o) => row(o, opts.include));
  return table;
}

/** Reads `includeObject` as kube-apiserver does (default Metadata); anything else is refused by the caller. */
export function parseIncludeObject(value: string | null): IncludeObject | undefined {
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  return undefined;
}
