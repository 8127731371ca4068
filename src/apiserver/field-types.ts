/**
 * Typed decoding for the fields k8ts knows the Go types of: the envelope, every ObjectMeta field, and the
 * top-level fields of ConfigMap and Secret. kube-apiserver decodes a body into Go structs, so a value of the
 * wrong JSON type is a 400 before any validation runs. Without this check such a value reaches validation
 * (written for the right types) or storage, where it breaks every typed client that lists the resource.
 * JSON `null` decodes to Go's zero value, as there: the field is dropped, a null map or list entry is "".
 */
import { badRequest, type StatusError } from '../apimachinery/status.js';

type FieldType = 'string' | 'int64' | 'bool' | 'time' | 'object' | 'stringMap' | 'bytesMap' | 'stringList' | 'objectList';

const GO_TYPES: Record<FieldType, string> = {
  string: 'string',
  int64: 'int64',
  bool: 'bool',
  time: 'string',
  object: 'struct',
  stringMap: 'map[string]string',
  bytesMap: 'map[string][]uint8',
  stringList: '[]string',
  objectList: '[]struct',
};

const ENVELOPE: Record<string, FieldType> = { apiVersion: 'string', kind: 'string', spec: 'object', status: 'object' };

/** Every ObjectMeta field with its Go type (field validation also takes its list of known fields from here). */
export const OBJECT_META: Readonly<Record<string, FieldType>> = {
  name: 'string', generateName: 'string', namespace: 'string', selfLink: 'string', uid: 'string', resourceVersion: 'string',
  generation: 'int64', creationTimestamp: 'time', deletionTimestamp: 'time', deletionGracePeriodSeconds: 'int64',
  labels: 'stringMap', annotations: 'stringMap', ownerReferences: 'objectList', finalizers: 'stringList', managedFields: 'objectList',
};

const OWNER_REFERENCE: Record<string, FieldType> = {
  apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'bool', blockOwnerDeletion: 'bool',
};

/** Kinds whose top-level fields are not spec and status. */
const KIND_FIELDS: Record<string, Record<string, FieldType>> = {
  ConfigMap: { data: 'stringMap', binaryData: 'bytesMap', immutable: 'bool' },
  Secret: { data: 'bytesMap', stringData: 'stringMap', type: 'string', immutable: 'bool' },
};

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
/** Go's base64.StdEncoding, which `[]byte` fields decode with (line breaks are skipped). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/**
 * Checks (and null-normalizes) the known fields of a decoded object of `kind` in place; a wrong type is the
 * 400 kube-apiserver answers.
 */
export function checkFieldTypes(obj: Record<string, unknown>, kind: string, apiVersion: string): void {
  const cannotHandle = `${kind} in version "${apiVersion.split('/').pop()}" cannot be handled as a ${kind}`;
  const fail = (path: string, v: unknown, type: FieldType): StatusError =>
    badRequest(
      `${cannotHandle}: json: cannot unmarshal ${jsonType(v)} into Go struct field ${path} of type ${GO_TYPES[type]}`,
    );
  const check = (holder: Record<string, unknown>, fields: Record<string, FieldType>, prefix: string): void => {
    for (const [field, type] of Object.entries(fields)) {
      if (!Object.hasOwn(holder, field)) continue;
      const v = holder[field];
      const path = `${prefix}.${field}`;
      if (v === null) {
        delete holder[field];
        continue;
      }
      switch (type) {
        case 'string':
        case 'time':
          if (typeof v !== 'string') throw fail(path, v, type);
          if (type === 'time' && !RFC3339.test(v)) throw badRequest(`${cannotHandle}: parsing time "${v}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
          break;
        case 'int64':
          if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw fail(path, v, type);
          break;
        case 'bool':
          if (typeof v !== 'boolean') throw fail(path, v, type);
          break;
        case 'object':
          if (typeof v !== 'object' || Array.isArray(v)) throw fail(path, v, type);
          break;
        case 'stringMap':
        case 'bytesMap': {
          if (typeof v !== 'object' || Array.isArray(v)) throw fail(path, v, type);
          const map = v as Record<string, unknown>;
          for (const [k, value] of Object.entries(map)) {
            if (value === null) map[k] = '';
            else if (typeof value !== 'string') throw fail(path, value, 'string');
            else if (type === 'bytesMap' && !BASE64.test(value.replace(/[\r\n]/g, ''))) {
              throw badRequest(`${cannotHandle}: illegal base64 data at ${path}[${JSON.stringify(k)}]`);
            }
          }
          break;
        }
        case 'stringList':
        case 'objectList': {
          if (!Array.isArray(v)) throw fail(path, v, type);
          v.forEach((item: unknown, i) => {
            if (item === null) v[i] = type === 'stringList' ? '' : {};
            else if (type === 'stringList' && typeof item !== 'string') throw fail(path, item, 'string');
            else if (type === 'objectList' && (typeof item !== 'object' || Array.isArray(item))) throw fail(path, item, 'object');
            else if (field === 'ownerReferences') check(item as Record<string, unknown>, OWNER_REFERENCE, 'OwnerReference.metadata.ownerReferences');
          });
          break;
        }
      }
    }
  };
  const own = KIND_FIELDS[kind];
  check(obj, own ? { apiVersion: 'string', kind: 'string', ...own } : ENVELOPE, kind);
  const meta = obj.metadata;
  if (meta === undefined || meta === null) return;
  if (typeof meta !== 'object' || Array.isArray(meta)) throw fail(`${kind}.metadata`, meta, 'object');
  check(meta as Record<string, unknown>, OBJECT_META, 'ObjectMeta.metadata');
}
