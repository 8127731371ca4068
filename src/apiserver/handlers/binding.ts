/**
 * `POST pods/<name>/binding`: how the scheduler assigns a pod to a node (kube's BindingREST). The pod must
 * still be unbound and not being deleted; the binding sets spec.nodeName, copies the binding's annotations to
 * the pod, and marks PodScheduled True. Answers a Success Status, as kube-apiserver does.
 */
import type { Binding, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { badRequest, conflict, invalid } from '../../apimachinery/status.js';
import { decodeBody, readBody, writeObject } from '../http.js';
import type { StoredObject } from '../registry/strategy.js';
import type { RequestScope } from './scope.js';
import { parseDryRun } from './write.js';
import { rfc3339 } from '../../apimachinery/time.js';

const BINDING_RESOURCE = { group: '', resource: 'pods/binding' };

export async function createBinding(scope: RequestScope): Promise<void> {
  const { info } = scope;
  const dryRun = parseDryRun(scope);
  const decoded = decodeBody(await readBody(scope.req), scope.req.headers['content-type']);
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw badRequest('the object provided is unrecognized (must be of type Binding)');
  const binding = decoded as Binding;
  if ((binding.kind ?? 'Binding') !== 'Binding' || (binding.apiVersion ?? 'v1') !== 'v1') {
    throw badRequest(`the object provided is unrecognized (must be of type Binding)`);
  }
  if (binding.metadata?.name !== undefined && binding.metadata.name !== info.name) throw badRequest('name in URL does not match name in Binding object');
  const target = binding.target ?? ({} as Binding['target']);
  const causes = [];
  if (target.kind && target.kind !== 'Node') causes.push({ reason: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${target.kind}": supported values: "Node", "<empty>"` });
  if (!target.name) causes.push({ reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' });
  if (causes.length > 0) throw invalid('Binding', '', info.name, causes);

  const now = rfc3339();
  await scope.registry.update(
    info.namespace,
    info.name,
    (current) => {
      const pod = current as Pod & StoredObject;
      if (pod.metadata.deletionTimestamp) throw conflict(BINDING_RESOURCE, info.name, `pod ${info.name} is being deleted, cannot be assigned to a host`);
      if (pod.spec?.nodeName) throw conflict(BINDING_RESOURCE, info.name, `pod ${info.name} is already assigned to node "${pod.spec.nodeName}"`);
      pod.spec = { ...pod.spec!, nodeName: target.name };
      const annotations = binding.metadata?.annotations;
      if (annotations && Object.keys(annotations).length > 0) pod.metadata.annotations = { ...pod.metadata.annotations, ...annotations };
      // One write assigns the pod and marks it scheduled, as kube's binding storage does.
      const scheduled: PodCondition = { type: 'PodScheduled', status: 'True', lastTransitionTime: now };
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      return { ...pod, status: { ...pod.status, conditions: [...conditions, scheduled] } };
    },
    { dryRun, subresource: 'binding' },
  );
  scope.code = 201;
  writeObject(scope.req, scope.res, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, { status: 201, type: scope.accept.type, warnings: scope.warnings });
}
