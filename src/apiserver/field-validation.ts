/**
 * `fieldValidation` (Ignore | Warn | Strict): unknown fields in a request body become warnings or a 400.
 * Known today: the envelope (apiVersion, kind, metadata, spec, status and each kind's own top-level fields)
 * and every ObjectMeta field; schemas for the rest of each type come with OpenAPI.
 */
import { badRequest } from '../apimachinery/status.js';
import { OBJECT_META } from './field-types.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

const OBJECT_META_FIELDS = new Set(Object.keys(OBJECT_META));

/** Top-level fields of kinds that do not follow the spec/status shape. */
const KIND_FIELDS: Record<string, readonly string[]> = {
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Secret: ['data', 'stringData', 'type', 'immutable'],
  Endpoints: ['subsets'],
  ServiceAccount: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'],
  Event: [
    'involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type', 'eventTime',
    'series', 'action', 'related', 'reportingComponent', 'reportingInstance', 'regarding', 'note', 'reportingController',
    'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'deprecatedCount',
  ],
  PodTemplate: ['template'],
  ControllerRevision: ['data', 'revision'],
  Role: ['rules'],
  ClusterRole: ['rules', 'aggregationRule'],
  RoleBinding: ['subjects', 'roleRef'],
  ClusterRoleBinding: ['subjects', 'roleRef'],
  PriorityClass: ['value', 'globalDefault', 'description', 'preemptionPolicy'],
  StorageClass: ['provisioner', 'parameters', 'reclaimPolicy', 'mountOptions', 'allowVolumeExpansion', 'volumeBindingMode', 'allowedTopologies'],
  EndpointSlice: ['addressType', 'endpoints', 'ports'],
  Scale: [],
};

const ENVELOPE = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

/** Reads the `fieldValidation` query parameter (kube-apiserver's default is Warn; kubectl sends Strict). */
export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === '' || value === 'Warn') return 'Warn';
  if (value === 'Ignore' || value === 'Strict') return value;
  throw badRequest(`fieldValidation: Invalid value: "${value}": must be one of Ignore, Warn, Strict`);
}

/** Paths of unknown fields in `body` (`spec.foo` style, as kube-apiserver reports them). */
export function unknownFields(body: Record<string, unknown>, kind: string): string[] {
  const known = new Set([...ENVELOPE, ...(KIND_FIELDS[kind] ?? [])]);
  const unknown: string[] = [];
  for (const k of Object.keys(body)) if (!known.has(k)) unknown.push(k);
  const meta = body.metadata;
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    for (const k of Object.keys(meta)) if (!OBJECT_META_FIELDS.has(k)) unknown.push(`metadata.${k}`);
  }
  return unknown;
}

/**
 * Applies the policy: Strict refuses with kube's `strict decoding error`, Warn returns warnings, Ignore
 * nothing.
 */
export function checkUnknownFields(body: Record<string, unknown>, kind: string, policy: FieldValidation): string[] {
  if (policy === 'Ignore') return [];
  const unknown = unknownFields(body, kind);
  if (unknown.length === 0) return [];
  const messages = unknown.map((f) => `unknown field "${f}"`);
  if (policy === 'Strict') throw badRequest(`strict decoding error: ${messages.join(', ')}`);
  return messages;
}
