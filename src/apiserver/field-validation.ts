/**
 * `fieldValidation` (Ignore | Warn | Strict): fields of a request body that the kind's schema does not have
 * become warnings or a 400, at any depth, with the paths kube-apiserver's strict decoder reports
 * (`spec.containers[0].imagee`).
 */
import { resolve, schemaForObject, type Schema } from '../api/openapi/schema.js';
import { badRequest } from '../apimachinery/status.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** Reads the `fieldValidation` query parameter (kube-apiserver's default is Warn; kubectl sends Strict). */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '' || value === 'Warn') return 'Warn';
  if (value === 'Ignore' || value === 'Strict') return value;
  throw badRequest(`fieldValidation: Invalid value: "${value}": must be one of Ignore, Warn, Strict`);
}

/**
 * Removes the fields of `body` (an object of `apiVersion`/`kind`) that its schema does not have, as decoding
 * into kube's Go structs drops them, and returns their paths. Kinds without a schema keep everything.
 */
export function pruneUnknownFields(body: Record<string, unknown>, apiVersion: string, kind: string): string[] {
  const schema = schemaForObject(apiVersion, kind);
  const unknown: string[] = [];
  if (schema) pruneUnknown(body, schema, '', unknown);
  return unknown;
}

function pruneUnknown(value: unknown, schema: Schema, path: string, out: string[]): void {
  const s = resolve(schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields'] || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => pruneUnknown(v, s.items!, `${path}[${i}]`, out));
    return;
  }
  const props = s.properties;
  const values = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  // An object schema without properties (RawExtension, FieldsV1) holds anything.
  if (!props && !values) return;
  const obj = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(obj)) {
    const field = props?.[k] ?? values;
    const p = path ? `${path}.${k}` : k;
    if (field) pruneUnknown(v, field, p, out);
    else {
      out.push(p);
      delete obj[k];
    }
  }
}

/**
 * Drops unknown fields and applies the policy: Strict refuses with kube's `strict decoding error`, Warn
 * returns warnings, Ignore nothing.
 */
export function checkUnknownFields(body: Record<string, unknown>, apiVersion: string, kind: string, policy: FieldValidation): string[] {
  const unknown = pruneUnknownFields(body, apiVersion, kind);
  if (unknown.length === 0 || policy === 'Ignore') return [];
  const messages = unknown.map((f) => `unknown field "${f}"`);
  if (policy === 'Strict') throw badRequest(`strict decoding error: ${messages.join(', ')}`);
  return messages;
}
