/**
 * One container, as kube's validateContainerCommon and validateContainers check it: name, image, resources,
 * volume mounts, termination message policy, ports, env, pull policy, then (for regular containers and
 * sidecars) probes. Names are checked for uniqueness across the pod by the pod spec validator.
 */
import { isDNS1123Label, isDNS1123Subdomain } from '../../../apimachinery/names.js';
import { configMapKeyErrors } from './config.js';
import {
  forbidden,
  invalid,
  invalidEach,
  notFound,
  notSupported,
  obj,
  objects,
  required,
  str,
  type FieldError,
  type Fields,
} from './field.js';
import { validateContainerPorts } from './ports.js';
import { validateContainerProbes } from './probe.js';
import { validateContainerResources } from './resources.js';

/** What kind of container it is: probes and restartPolicy rules differ. */
export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

/** kube's relaxed env var name rule (on by default since 1.32): printable ASCII other than '='. */
function envVarNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length === 0) errs.push('environment variable name must be non-empty');
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c > 0x7e || c < 0x20 || ch === '=') {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

/** ValidateEnv: every variable named, and `value` and `valueFrom` not both set. */
export function validateEnv(env: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [i, v] of objects(env)) {
    const p = `${path}[${i}]`;
    const name = str(v.name);
    if (name === '') errs.push(required(`${p}.name`, ''));
    errs.push(...invalidEach(`${p}.name`, name, envVarNameErrors(name)));
    const from = obj(v.valueFrom);
    if (from) {
      const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => obj(from[k]));
      for (const ref of ['configMapKeyRef', 'secretKeyRef']) {
        const r = obj(from[ref]);
        if (!r) continue;
        // kube checks the name as a Secret/ConfigMap name even when empty, and the key as a data key.
        errs.push(...invalidEach(`${p}.valueFrom.${ref}.name`, str(r.name), isDNS1123Subdomain(str(r.name))));
        const key = str(r.key);
        if (key === '') errs.push(required(`${p}.valueFrom.${ref}.key`, ''));
        else errs.push(...invalidEach(`${p}.valueFrom.${ref}.key`, key, configMapKeyErrors(key)));
      }
      if (sources.length === 0) errs.push(invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (str(v.value) !== '') errs.push(invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      else if (sources.length > 1) errs.push(invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
    }
  }
  return errs;
}

/** validateVolumeMounts: each mount names a pod volume, has a path, and no two share a path. */
export function validateVolumeMounts(mounts: unknown, volumes: ReadonlySet<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  for (const [i, m] of objects(mounts)) {
    const p = `${path}[${i}]`;
    const name = str(m.name);
    if (name === '') errs.push(required(`${p}.name`, ''));
    if (!volumes.has(name)) errs.push(notFound(`${p}.name`, name));
    const mountPath = str(m.mountPath);
    if (mountPath === '') errs.push(required(`${p}.mountPath`, ''));
    if (paths.has(mountPath)) errs.push(invalid(`${p}.mountPath`, mountPath, 'must be unique'));
    paths.add(mountPath);
  }
  return errs;
}

/** validatePullPolicy. */
function validatePullPolicy(policy: string, path: string): FieldError[] {
  if (policy === 'Always' || policy === 'IfNotPresent' || policy === 'Never') return [];
  if (policy === '') return [required(path, '')];
  return [notSupported(path, policy, ['Always', 'IfNotPresent', 'Never'])];
}

/** The checks kube makes on every container of a pod spec (templates included). */
export function validateContainer(c: Fields, kind: ContainerKind, volumes: ReadonlySet<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (name === '') errs.push(required(`${path}.name`, ''));
  else errs.push(...invalidEach(`${path}.name`, name, isDNS1123Label(name)));
  if (str(c.image) === '') errs.push(required(`${path}.image`, ''));

  if (kind !== 'ephemeralContainer') errs.push(...validateContainerResources(obj(c.resources), `${path}.resources`));
  const restartPolicy = str(c.restartPolicy);
  if (kind === 'container' && restartPolicy !== '') errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
  if (kind === 'initContainer' && restartPolicy !== '' && restartPolicy !== 'Always') {
    errs.push(notSupported(`${path}.restartPolicy`, restartPolicy, ['Always']));
  }

  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, `${path}.volumeMounts`));
  const tmp = str(c.terminationMessagePolicy);
  if (tmp === '') errs.push(required(`${path}.terminationMessagePolicy`, ''));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(notSupported(`${path}.terminationMessagePolicy`, tmp, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validateContainerPorts(c.ports, `${path}.ports`));
  errs.push(...validateEnv(c.env, `${path}.env`));
  errs.push(...validatePullPolicy(str(c.imagePullPolicy), `${path}.imagePullPolicy`));

  const sidecar = kind === 'initContainer' && restartPolicy === 'Always';
  if (kind === 'container' || sidecar) {
    errs.push(...validateContainerProbes(c, path));
  } else {
    // Plain init containers and ephemeral containers run to completion: probes make no sense for them.
    const why = kind === 'initContainer' ? 'may not be set for init containers without restartPolicy=Always' : 'cannot be set for an Ephemeral Container';
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      if (obj(c[probe])) errs.push(forbidden(`${path}.${probe}`, why));
    }
    if (kind === 'initContainer' && obj(c.lifecycle)) errs.push(forbidden(`${path}.lifecycle`, 'may not be set for init containers without restartPolicy=Always'));
  }
  return errs;
}
