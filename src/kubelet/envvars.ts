/**
 * A container's environment as the kubelet builds it (kubelet_pods.go makeEnvironmentVariables): envFrom
 * first, then env (a later definition replaces an earlier one), `$(VAR)` references in values expanded against
 * the variables defined so far and the service variables, valueFrom resolved from the pod, its resources,
 * ConfigMaps and Secrets, then the docker-link style service variables that nothing overrode.
 */
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { expand, lookupIn } from './expansion.js';
import { podFieldValue, resourceFieldValue, type ResourceList } from './fieldpath.js';

/** One variable of the container's environment (CRI's KeyValue). */
export interface EnvVarValue {
  key: string;
  value: string;
}

/** A non-fatal problem the kubelet reports as a pod event (e.g. `InvalidEnvironmentVariableNames`). */
export interface EnvironmentWarning {
  reason: string;
  message: string;
}

/** What makeEnvironment produces. */
export interface ContainerEnvironment {
  env: EnvVarValue[];
  warnings: EnvironmentWarning[];
}

/** What the kubelet knows beyond the pod: its sources (absent objects are undefined) and addresses. */
export interface EnvironmentContext {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  /** The pod's IPs, primary first (the pod's status may not carry them yet). */
  podIPs?: readonly string[];
  /** The node's IPs, primary first (`status.hostIP`). */
  hostIPs?: readonly string[];
  /** Used for `spec.nodeName` when the pod does not carry it. */
  nodeName?: string;
  /** Services of every namespace (or at least the pod's and `default`); none means no service variables. */
  listServices?: () => Promise<readonly Service[]> | readonly Service[];
  /** The node's allocatable resources: a resourceFieldRef to an unset limit reads these. */
  nodeAllocatable?: ResourceList;
}

/** An error that keeps the container from being created: the kubelet reports `CreateContainerConfigError`. */
export class CreateContainerConfigError extends Error {
  override readonly name = 'CreateContainerConfigError';
  readonly reason = 'CreateContainerConfigError';
}

/** The services whose variables every pod gets, from the `default` namespace, service links or not. */
const MASTER_SERVICES = new Set(['kubernetes']);
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** kube's IsEnvVarName. */
export function isEnvVarName(name: string): boolean {
  return ENV_NAME.test(name);
}

function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

function envVariableName(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** kube's envvars.FromServices: `<SVC>_SERVICE_HOST/PORT[_<NAME>]` and the docker-link `<SVC>_PORT...` set. */
export function serviceEnvironment(services: readonly Service[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const svc of services) {
    const ports = svc.spec?.ports ?? [];
    if (!isServiceIPSet(svc) || ports.length === 0) continue;
    const ip = svc.spec!.clusterIP!;
    const prefix = envVariableName(svc.metadata?.name ?? '');
    out.set(`${prefix}_SERVICE_HOST`, ip);
    out.set(`${prefix}_SERVICE_PORT`, String(ports[0]!.port));
    for (const p of ports) if (p.name) out.set(`${prefix}_SERVICE_PORT_${envVariableName(p.name)}`, String(p.port));
    ports.forEach((p, i) => {
      const protocol = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${protocol}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.set(`${prefix}_PORT`, url);
      const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      out.set(portPrefix, url);
      out.set(`${portPrefix}_PROTO`, protocol);
      out.set(`${portPrefix}_PORT`, String(p.port));
      out.set(`${portPrefix}_ADDR`, ip);
    });
  }
  return out;
}

/** The kubelet's getServiceEnvVarMap: the master services always, the pod namespace's with service links. */
function serviceEnvVarMap(all: readonly Service[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const byName = new Map<string, Service>();
  for (const svc of all) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    if ((svc.metadata?.namespace ?? 'default') === 'default' && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, svc);
    } else if (svc.metadata?.namespace === namespace && enableServiceLinks) {
      byName.set(name, svc);
    }
  }
  return serviceEnvironment([...byName.values()]);
}

/** A Secret's `data` value (base64 in the API) as text. */
export function secretValue(secret: Secret, key: string): string | undefined {
  const raw = secret.data?.[key];
  return raw === undefined ? undefined : Buffer.from(raw, 'base64').toString('utf8');
}

/**
 * Builds the container's environment. Throws CreateContainerConfigError with kube's message when a
 * non-optional ConfigMap, Secret or key is missing or a downward API field cannot be read.
 */
export async function makeEnvironment(pod: Pod, container: Container, ctx: EnvironmentContext): Promise<ContainerEnvironment> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const services = ctx.listServices ? await ctx.listServices() : [];
  const serviceEnv = serviceEnvVarMap(services, namespace, pod.spec?.enableServiceLinks ?? true);
  const warnings: EnvironmentWarning[] = [];
  const configMaps = new Map<string, ConfigMap | undefined>();
  const secrets = new Map<string, Secret | undefined>();
  const getConfigMap = async (name: string): Promise<ConfigMap | undefined> => {
    if (!configMaps.has(name)) configMaps.set(name, await ctx.getConfigMap(namespace, name));
    return configMaps.get(name);
  };
  const getSecret = async (name: string): Promise<Secret | undefined> => {
    if (!secrets.has(name)) secrets.set(name, await ctx.getSecret(namespace, name));
    return secrets.get(name);
  };
  const env = new Map<string, string>();

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const invalid: string[] = [];
    let source = '';
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      source = `configMap ${namespace}/${name}`;
      const cm = await getConfigMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new CreateContainerConfigError(`configmap "${name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) {
        if (!isEnvVarName(prefix + k)) invalid.push(prefix + k);
        else env.set(prefix + k, v);
      }
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      source = `secret ${namespace}/${name}`;
      const secret = await getSecret(name);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new CreateContainerConfigError(`secret "${name}" not found`);
      }
      for (const k of Object.keys(secret.data ?? {})) {
        if (!isEnvVarName(prefix + k)) invalid.push(prefix + k);
        else env.set(prefix + k, secretValue(secret, k)!);
      }
    }
    if (invalid.length > 0) {
      invalid.sort();
      warnings.push({
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.join(', ')}] from the EnvFrom ${source} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const lookup = lookupIn(env, serviceEnv);
  for (const v of container.env ?? []) {
    let value = v.value ?? '';
    if (value !== '') {
      value = expand(value, lookup);
    } else if (v.valueFrom) {
      const resolved = await resolveValueFrom(v.valueFrom, pod, container, ctx, namespace, getConfigMap, getSecret);
      if (resolved === undefined) continue; // an optional source that is absent: the variable is left out
      value = resolved;
    }
    env.set(v.name, value);
  }

  const result: EnvVarValue[] = [...env].map(([key, value]) => ({ key, value }));
  for (const [key, value] of serviceEnv) if (!env.has(key)) result.push({ key, value });
  return { env: result, warnings };
}

type ValueFrom = NonNullable<NonNullable<Container['env']>[number]['valueFrom']>;

async function resolveValueFrom(
  from: ValueFrom,
  pod: Pod,
  container: Container,
  ctx: EnvironmentContext,
  namespace: string,
  getConfigMap: (name: string) => Promise<ConfigMap | undefined>,
  getSecret: (name: string) => Promise<Secret | undefined>,
): Promise<string | undefined> {
  try {
    if (from.fieldRef) {
      const withNode = pod.spec?.nodeName || !ctx.nodeName ? pod : { ...pod, spec: { ...pod.spec!, nodeName: ctx.nodeName } };
      return podFieldValue(from.fieldRef, withNode, { podIPs: ctx.podIPs, hostIPs: ctx.hostIPs });
    }
    if (from.resourceFieldRef) return resourceFieldValue(from.resourceFieldRef, pod, container, ctx.nodeAllocatable ?? {});
  } catch (err) {
    throw new CreateContainerConfigError((err as Error).message);
  }
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = await getConfigMap(name);
    if (!cm) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`configmap "${name}" not found`);
    }
    const value = cm.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`couldn't find key ${key} in ConfigMap ${namespace}/${name}`);
    }
    return value;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const secret = await getSecret(name);
    if (!secret) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`secret "${name}" not found`);
    }
    const value = secretValue(secret, key);
    if (value === undefined) {
      if (optional) return undefined;
      throw new CreateContainerConfigError(`couldn't find key ${key} in Secret ${namespace}/${name}`);
    }
    return value;
  }
  return '';
}

function envMap(env: readonly EnvVarValue[]): Map<string, string> {
  return new Map(env.map((e) => [e.key, e.value]));
}

/** The container's command and args with `$(VAR)` references to its environment expanded. */
export function expandCommandAndArgs(container: Container, env: readonly EnvVarValue[]): { command: string[]; args: string[] } {
  const lookup = lookupIn(envMap(env));
  return {
    command: (container.command ?? []).map((c) => expand(c, lookup)),
    args: (container.args ?? []).map((a) => expand(a, lookup)),
  };
}

/**
 * A volume mount's subPathExpr expanded against the environment (kube's ExpandContainerVolumeMounts): a
 * reference to an unset or empty variable is an error naming them.
 */
export function expandSubPathExpr(subPathExpr: string, env: readonly EnvVarValue[]): string {
  const vars = envMap(env);
  const missing = new Set<string>();
  const out = expand(
    subPathExpr,
    (name) => {
      const v = vars.get(name);
      if (!v) missing.add(name);
      return v ?? '';
    },
  );
  if (missing.size > 0) throw new CreateContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}
