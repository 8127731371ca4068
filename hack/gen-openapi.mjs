#!/usr/bin/env node
// Generates src/api/openapi/definitions.generated.ts: the OpenAPI (v2 form) definitions of every built-in type
// k8ts serves, with Kubernetes' x-kubernetes-* extensions. Three inputs, each used for what it is right about:
//   - the protobuf schema table (src/apimachinery/protobuf/schema.generated.ts, built to dist/ first): the
//     exact structure of each type (fields, references, lists, maps, int32/int64/double, inlined structs);
//   - kubernetes-types (node_modules): descriptions and which fields are required;
//   - a Kubernetes swagger.json (v1.14, shipped in Debian's golang-k8s-kube-openapi-dev as test data):
//     patch strategies, merge keys and list types, which rarely change; fields added since are in PATCH_META.
//
// Usage: npm run build && node hack/gen-openapi.mjs [swagger.json]
//   swagger.json defaults to the file that `apt-get download golang-k8s-kube-openapi-dev` + `dpkg -x` gives:
//   <x>/usr/share/gocode/src/k8s.io/kube-openapi/test/integration/testdata/aggregator/openapi.json

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const swaggerPath = process.argv[2] ?? '/tmp/debs/x/usr/share/gocode/src/k8s.io/kube-openapi/test/integration/testdata/aggregator/openapi.json';
const outFile = `${root}src/api/openapi/definitions.generated.ts`;

const { MESSAGES, FLAG_REPEATED, FLAG_INLINE } = await import(`${root}dist/src/apimachinery/protobuf/schema.generated.js`);
const swagger = JSON.parse(readFileSync(swaggerPath, 'utf8'));

// Proto package -> definition prefix: k8s.io.api.core.v1.Pod -> io.k8s.api.core.v1.Pod.
const defName = (message) => message.replace(/^k8s\.io\./, 'io.k8s.');

// Types whose JSON form is a scalar, not the struct the proto describes.
const PRIMITIVES = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': { type: 'object' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Duration': { type: 'string' },
};
// Messages that exist only for the wire (not JSON types).
const SKIP = /^io\.k8s\.apimachinery\.pkg\.runtime\.(TypeMeta|Unknown)$|\.(Verbs|ExtraValue|OptionalNames|OptionalSecrets|IntOrString)$|^io\.k8s\.apimachinery\.pkg\.apis\.meta\.v1\.(FieldsV1|Time|MicroTime|Timestamp)$/;

const SCALARS = {
  string: { type: 'string' },
  bytes: { type: 'string', format: 'byte' },
  bool: { type: 'boolean' },
  int32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' },
  double: { type: 'number', format: 'double' },
  float: { type: 'number', format: 'double' },
};

// Descriptions and required fields from kubernetes-types' declaration files.
const tsDir = `${root}node_modules/kubernetes-types/`;
const MODULES = {
  'core/v1': 'io.k8s.api.core.v1', 'apps/v1': 'io.k8s.api.apps.v1', 'batch/v1': 'io.k8s.api.batch.v1',
  'autoscaling/v1': 'io.k8s.api.autoscaling.v1', 'autoscaling/v2': 'io.k8s.api.autoscaling.v2',
  'coordination/v1': 'io.k8s.api.coordination.v1', 'discovery/v1': 'io.k8s.api.discovery.v1',
  'events/v1': 'io.k8s.api.events.v1', 'networking/v1': 'io.k8s.api.networking.v1', 'policy/v1': 'io.k8s.api.policy.v1',
  'rbac/v1': 'io.k8s.api.rbac.v1', 'scheduling/v1': 'io.k8s.api.scheduling.v1', 'storage/v1': 'io.k8s.api.storage.v1',
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1', 'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
};
const docs = new Map(); // definition -> { description, fields: Map<name, { description, optional, gvk? }> }
for (const [mod, prefix] of Object.entries(MODULES)) {
  const file = `${tsDir}${mod}.d.ts`;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const docOf = (node) => (ts.getJSDocCommentsAndTags(node).map((d) => (typeof d.comment === 'string' ? d.comment : '')).join('\n').trim());
  for (const stmt of source.statements) {
    if (!ts.isInterfaceDeclaration(stmt) && !ts.isTypeAliasDeclaration(stmt)) continue;
    const entry = { description: docOf(stmt), fields: new Map() };
    if (ts.isInterfaceDeclaration(stmt)) {
      for (const m of stmt.members) {
        if (!ts.isPropertySignature(m) || !m.name) continue;
        const literal = m.type && ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal) ? m.type.literal.text : undefined;
        entry.fields.set(m.name.getText(source).replace(/^"|"$/g, ''), { description: docOf(m), optional: !!m.questionToken, literal });
      }
    }
    docs.set(`${prefix}.${stmt.name.text}`, entry);
  }
}

// Patch metadata for fields that the v1.14 swagger does not have (added since, or in groups it lacked).
const PATCH_META = {
  'io.k8s.api.core.v1.PodSpec': {
    ephemeralContainers: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
    topologySpreadConstraints: { 'x-kubernetes-list-map-keys': ['topologyKey', 'whenUnsatisfiable'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'topologyKey', 'x-kubernetes-patch-strategy': 'merge' },
    schedulingGates: { 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
    resourceClaims: { 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
    imagePullSecrets: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
  },
  'io.k8s.api.core.v1.Container': {
    ports: { 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-patch-strategy': 'merge' },
    resizePolicy: { 'x-kubernetes-list-type': 'atomic' },
  },
  'io.k8s.api.core.v1.EphemeralContainer': {
    env: { 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' },
    volumeMounts: { 'x-kubernetes-patch-merge-key': 'mountPath', 'x-kubernetes-patch-strategy': 'merge' },
    volumeDevices: { 'x-kubernetes-patch-merge-key': 'devicePath', 'x-kubernetes-patch-strategy': 'merge' },
    ports: { 'x-kubernetes-list-map-keys': ['containerPort', 'protocol'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'containerPort', 'x-kubernetes-patch-strategy': 'merge' },
  },
  'io.k8s.api.core.v1.PodStatus': {
    podIPs: { 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge' },
    hostIPs: { 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'ip', 'x-kubernetes-patch-strategy': 'merge' },
    resourceClaimStatuses: { 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    ports: { 'x-kubernetes-list-map-keys': ['port', 'protocol'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'port', 'x-kubernetes-patch-strategy': 'merge' },
    clusterIPs: { 'x-kubernetes-list-type': 'atomic' },
    ipFamilies: { 'x-kubernetes-list-type': 'atomic' },
  },
  'io.k8s.api.core.v1.NodeSpec': { podCIDRs: { 'x-kubernetes-patch-strategy': 'merge' } },
  'io.k8s.api.core.v1.ServiceStatus': { conditions: { 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' } },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' } },
  'io.k8s.api.apps.v1.StatefulSetStatus': { conditions: { 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' } },
  'io.k8s.api.batch.v1.JobStatus': { conditions: { 'x-kubernetes-list-type': 'atomic', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' } },
  'io.k8s.api.batch.v1.CronJobStatus': { active: { 'x-kubernetes-list-type': 'atomic' } },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions: { 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' } },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions: { 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' } },
  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: { 'x-kubernetes-list-type': 'atomic' }, ports: { 'x-kubernetes-list-type': 'atomic' } },
  'io.k8s.api.networking.v1.IngressSpec': { rules: { 'x-kubernetes-list-type': 'atomic' }, tls: { 'x-kubernetes-list-type': 'atomic' } },
};
// Structs that server-side apply treats as one value (Go's +structType=atomic).
const ATOMIC_STRUCTS = [
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector', 'io.k8s.api.core.v1.ObjectReference', 'io.k8s.api.core.v1.LocalObjectReference',
  'io.k8s.api.core.v1.TypedLocalObjectReference', 'io.k8s.api.core.v1.NodeSelector', 'io.k8s.api.core.v1.NodeSelectorTerm',
  'io.k8s.api.core.v1.TopologySelectorTerm', 'io.k8s.api.core.v1.ConfigMapKeySelector', 'io.k8s.api.core.v1.SecretKeySelector',
  'io.k8s.api.core.v1.ObjectFieldSelector', 'io.k8s.api.core.v1.ResourceFieldSelector', 'io.k8s.api.core.v1.ConfigMapEnvSource',
  'io.k8s.api.core.v1.SecretEnvSource', 'io.k8s.api.core.v1.SecretReference', 'io.k8s.api.core.v1.TypedObjectReference',
];
const EXTENSIONS = ['x-kubernetes-patch-merge-key', 'x-kubernetes-patch-strategy', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type'];

// The same kind's definition in the versions the v1.14 swagger knew.
function swaggerDefinition(name) {
  const defs = swagger.definitions;
  if (defs[name]) return defs[name];
  const m = /^io\.k8s\.api\.([a-z]+)\.(v\w+)\.(\w+)$/.exec(name);
  if (!m) return undefined;
  const [, group, , kind] = m;
  for (const alt of [`${group}.v2beta2`, `${group}.v2beta1`, `${group}.v1beta1`, `extensions.v1beta1`, 'extensions.v1beta1']) {
    if (defs[`io.k8s.api.${alt}.${kind}`]) return defs[`io.k8s.api.${alt}.${kind}`];
  }
  return undefined;
}

function fieldSchema(spec) {
  const [, type, flags, map] = spec;
  let item;
  if (type === 'map') {
    const value = SCALARS[map[1]] ? { ...SCALARS[map[1]] } : { $ref: `#/definitions/${defName(map[1])}` };
    item = { type: 'object', additionalProperties: value };
  } else if (SCALARS[type]) item = { ...SCALARS[type] };
  else item = { $ref: `#/definitions/${defName(type)}` };
  if (flags & FLAG_REPEATED) return type === 'bytes' ? { type: 'string', format: 'byte' } : { type: 'array', items: item };
  return item;
}

const definitions = {};
for (const [message, fields] of Object.entries(MESSAGES)) {
  const name = defName(message);
  if (SKIP.test(name)) continue;
  const doc = docs.get(name);
  if (PRIMITIVES[name]) {
    definitions[name] = { ...(doc?.description ? { description: doc.description } : {}), ...PRIMITIVES[name] };
    continue;
  }
  const properties = {};
  const addFields = (msgFields) => {
    for (const spec of Object.values(msgFields)) {
      if (spec[2] & FLAG_INLINE) {
        addFields(MESSAGES[spec[1]]);
        continue;
      }
      properties[spec[0]] = fieldSchema(spec);
    }
  };
  addFields(fields);
  const old = swaggerDefinition(name);
  const def = { ...(doc?.description ? { description: doc.description } : {}), type: 'object', properties: {} };
  const required = [];
  const gvk = {};
  if (doc?.fields.has('kind') && doc.fields.get('kind').literal) {
    properties.apiVersion = { type: 'string' };
    properties.kind = { type: 'string' };
    const apiVersion = doc.fields.get('apiVersion')?.literal ?? 'v1';
    const slash = apiVersion.indexOf('/');
    Object.assign(gvk, { group: slash < 0 ? '' : apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind: doc.fields.get('kind').literal });
  }
  for (const field of Object.keys(properties).sort()) {
    const fdoc = doc?.fields.get(field);
    let schema = properties[field];
    const meta = { ...pick(old?.properties?.[field] ?? {}), ...(PATCH_META[name]?.[field] ?? {}) };
    if (schema.$ref && fdoc?.description) schema = { ...schema, description: fdoc.description };
    else if (fdoc?.description) schema = { description: fdoc.description, ...schema };
    def.properties[field] = { ...schema, ...meta };
    if (fdoc && !fdoc.optional) required.push(field);
  }
  if (required.length > 0) def.required = required;
  if (ATOMIC_STRUCTS.includes(name)) def['x-kubernetes-map-type'] = 'atomic';
  if (gvk.kind) def['x-kubernetes-group-version-kind'] = [gvk];
  definitions[name] = def;
}
// IntOrString and the maps/lists the proto spells as helper messages.
definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { description: 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.', type: 'string', format: 'int-or-string' };
for (const [name, p] of Object.entries(PRIMITIVES)) definitions[name] ??= { ...(docs.get(name)?.description ? { description: docs.get(name).description } : {}), ...p };
// Wrapper messages (Verbs, ExtraValue, ...) become plain string lists where they are used.
for (const def of Object.values(definitions)) {
  for (const [field, schema] of Object.entries(def.properties ?? {})) def.properties[field] = unwrap(schema);
}

function unwrap(schema) {
  const ref = schema.$ref ?? schema.items?.$ref ?? schema.additionalProperties?.$ref;
  if (!ref) return schema;
  const target = ref.slice('#/definitions/'.length);
  if (!/\.(Verbs|ExtraValue|OptionalNames|OptionalSecrets)$/.test(target)) return schema;
  const list = { type: 'array', items: { type: 'string' } };
  if (schema.$ref) return { ...schema, $ref: undefined, ...list };
  if (schema.items) return { ...schema, items: list };
  return { ...schema, additionalProperties: list };
}

function pick(prop) {
  const out = {};
  for (const k of EXTENSIONS) if (prop[k] !== undefined) out[k] = prop[k];
  return out;
}

const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
const json = JSON.stringify(sorted);
writeFileSync(
  outFile,
  `// Code generated by hack/gen-openapi.mjs from k8s.io/api's proto schema, kubernetes-types and Kubernetes' swagger. DO NOT EDIT.\n\n` +
    `/** OpenAPI v2 definitions of the built-in types, keyed by definition name (io.k8s.api.core.v1.Pod), as JSON. */\n` +
    `export const DEFINITIONS_JSON = ${JSON.stringify(json)};\n`,
);
console.log(`wrote ${Object.keys(sorted).length} definitions (${(json.length / 1024).toFixed(0)} KiB) to ${outFile}`);
