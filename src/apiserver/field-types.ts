/**
 * Typed decoding: kube-apiserver decodes a body into Go structs, so a value of the wrong JSON type anywhere
 * in an object is a 400 before any validation runs, worded as Go's decoder words it (`Deployment in version
 * "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field
 * DeploymentSpec.spec.replicas of type int32`). Without this check such a value reaches validation (written
 * for the right types) or storage, where it breaks every typed client that lists the resource. The types come
 * from the kinds' schemas. JSON `null` decodes to Go's zero value, as there: a null field is dropped, a null
 * map value or list item is the element type's zero value.
 */
import { refName, resolve, schemaForObject, type Schema } from '../api/openapi/schema.js';
import { badRequest, type StatusError } from '../apimachinery/status.js';

type JSONObject = Record<string, unknown>;

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const BASE64_CHAR = /[A-Za-z0-9+/=]/;
const INT_RANGE = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] } as const;

const isObject = (v: unknown): v is JSONObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's name for a definition's type: io.k8s.api.apps.v1.DeploymentSpec -> v1.DeploymentSpec. */
function goTypeName(definition: string): string {
  const parts = definition.split('.');
  return `${parts[parts.length - 2]}.${parts[parts.length - 1]}`;
}

/** Go's spelling of a schema's type, as its decoder prints it in errors. */
function goType(schema: Schema): string {
  if (schema.$ref) return goTypeName(refName(schema.$ref));
  switch (schema.type) {
    case 'integer':
      return schema.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return schema.format === 'byte' ? '[]uint8' : 'string';
    case 'array':
      return `[]${schema.items ? goType(schema.items) : 'interface {}'}`;
    default:
      if (typeof schema.additionalProperties === 'object') return `map[string]${goType(schema.additionalProperties)}`;
      return 'map[string]interface {}';
  }
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) return 'null';
  return typeof v;
}

function zeroValue(schema: Schema | undefined): unknown {
  const s = resolve(schema);
  if (!s) return null;
  if (s.format === 'int-or-string') return 0;
  switch (s.type) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return {};
  }
}

/** Where a value sits, as Go's decoder names it: the innermost struct and the dotted field path from the root. */
interface Place {
  struct: string;
  path: string;
}

class TypeChecker {
  constructor(private readonly cannotHandle: string) {}

  private fail(value: unknown, field: Schema, at: Place): StatusError {
    const what = typeof value === 'number' && Number.isFinite(value) && (field.type === 'integer' || field.format === 'int32') ? `number ${value}` : jsonType(value);
    return badRequest(`${this.cannotHandle}: json: cannot unmarshal ${what} into Go struct field ${at.struct}.${at.path} of type ${goType(field)}`);
  }

  /** Checks `value` against `field` (a property schema); returns the value to keep (null normalized). */
  check(value: unknown, field: Schema, at: Place): unknown {
    const s = resolve(field);
    if (!s) return value;
    if (s.format === 'int-or-string') {
      if (typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value))) return value;
      throw badRequest(`${this.cannotHandle}: json: cannot unmarshal ${jsonType(value)} into Go value of type int32`);
    }
    if (field.$ref === undefined ? false : refName(field.$ref) === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
      // A Quantity decodes from a string or a number (`cpu: 1`); the number is kept as its string.
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      if (typeof value !== 'string') throw this.fail(value, field, at);
      return value;
    }
    switch (s.type) {
      case 'string':
        if (typeof value !== 'string') throw this.fail(value, s.format === 'byte' ? { type: 'string', format: 'byte' } : field, at);
        if (s.format === 'date-time' && !RFC3339.test(value)) {
          throw badRequest(`${this.cannotHandle}: parsing time "${value}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
        }
        if (s.format === 'byte') this.checkBase64(value);
        return value;
      case 'integer': {
        if (typeof value !== 'number') throw this.fail(value, field, at);
        const [min, max] = INT_RANGE[s.format === 'int32' ? 'int32' : 'int64'];
        if (!Number.isInteger(value) || value < min || value > max) throw this.fail(value, field, at);
        return value;
      }
      case 'number':
        if (typeof value !== 'number') throw this.fail(value, field, at);
        return value;
      case 'boolean':
        if (typeof value !== 'boolean') throw this.fail(value, field, at);
        return value;
      case 'array': {
        if (!Array.isArray(value)) throw this.fail(value, field, at);
        const items = s.items;
        if (items) value.forEach((v, i) => (value[i] = v === null ? zeroValue(items) : this.check(v, items, at)));
        return value;
      }
      default: {
        if (!isObject(value)) throw this.fail(value, field, at);
        if (s.properties) this.checkStruct(value, s, field.$ref ? goTypeName(refName(field.$ref)).split('.')[1]! : at.struct, at.path);
        else if (typeof s.additionalProperties === 'object') {
          const values = s.additionalProperties;
          for (const [k, v] of Object.entries(value)) value[k] = v === null ? zeroValue(values) : this.check(v, values, at);
        }
        return value;
      }
    }
  }

  checkStruct(obj: JSONObject, schema: Schema, struct: string, path: string): void {
    for (const [k, v] of Object.entries(obj)) {
      const field = schema.properties?.[k];
      if (!field) continue;
      if (v === null) {
        delete obj[k];
        continue;
      }
      obj[k] = this.check(v, field, { struct, path: path ? `${path}.${k}` : k });
    }
  }

  /** Go's base64.StdEncoding, which `[]byte` fields decode with (line breaks are skipped). */
  private checkBase64(value: string): void {
    const data = value.replace(/[\r\n]/g, '');
    let bad = [...data].findIndex((c) => !BASE64_CHAR.test(c));
    const pad = data.indexOf('=');
    if (bad < 0 && pad >= 0 && !/^=={0,1}$/.test(data.slice(pad))) bad = pad;
    if (bad < 0 && data.length % 4 !== 0) bad = data.length - (data.length % 4);
    if (bad >= 0) throw badRequest(`${this.cannotHandle}: illegal base64 data at input byte ${bad}`);
  }
}

/**
 * Checks (and null-normalizes) a decoded object of `kind` in place against its schema; a wrong type is the
 * 400 kube-apiserver answers. Kinds without a schema are checked for their envelope only.
 */
export function checkFieldTypes(obj: JSONObject, kind: string, apiVersion: string): void {
  const checker = new TypeChecker(`${kind} in version "${apiVersion.split('/').pop()}" cannot be handled as a ${kind}`);
  const schema = schemaForObject(apiVersion, kind) ?? { type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' } } };
  checker.checkStruct(obj, schema, kind, '');
}
