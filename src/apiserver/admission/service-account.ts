/**
 * ServiceAccount: a new pod runs as a service account (`default` unless it names one) that must exist, and
 * unless automountServiceAccountToken is false (on the pod, else on the account) it gets the projected
 * `kube-api-access-<random>` volume — a bound token, the cluster CA and its namespace — mounted read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount in every container and init container.
 */
import { randomInt } from 'node:crypto';
import { isFields, items, type Fields } from '../registry/defaults/fields.js';
import { admissionForbidden, isResource, type AdmissionAttributes, type AdmissionPlugin, type ObjectReader } from './admission.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const API_ACCESS_VOLUME_PREFIX = 'kube-api-access-';
/** A bit over an hour: kube's default bound-token lifetime, made recognizable (3600 + 7). */
export const TOKEN_EXPIRATION_SECONDS = 3607;
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

const SERVICE_ACCOUNTS = { group: '', resource: 'serviceaccounts' };
/** The alphabet of utilrand.String: no vowels (no words), no look-alike characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export interface ServiceAccountOptions {
  /**
   * Whether something creates each namespace's `default` account (kube-controller-manager's serviceaccount
   * controller). Only then is a missing `default` account waited for and refused, as in Kubernetes; without
   * it (a bare apiserver) pods naming the `default` account are admitted as if it existed.
   */
  defaultAccountsManaged?: boolean;
  /** How long to wait for the `default` account of a new namespace to appear (it is created just after). */
  defaultAccountWaitMs?: number;
  pollIntervalMs?: number;
}

function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return s;
}

/** The projected volume kube's ServiceAccount admission adds (TokenVolumeSource). */
export function apiAccessVolume(name: string): Fields {
  return {
    name,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export class ServiceAccount implements AdmissionPlugin {
  readonly name = 'ServiceAccount';
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly managed: boolean;

  constructor(
    private readonly objects: ObjectReader,
    opts: ServiceAccountOptions = {},
  ) {
    this.waitMs = opts.defaultAccountWaitMs ?? 2000;
    this.pollMs = opts.pollIntervalMs ?? 100;
    this.managed = opts.defaultAccountsManaged ?? true;
  }

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation !== 'CREATE' || !isResource(attrs, '', 'pods')) return;
    const pod = attrs.object;
    if (!pod) return;
    if (!isFields(pod.spec)) pod.spec = {};
    const spec = pod.spec as Fields;
    // v1's serviceAccount is the deprecated alias of serviceAccountName (the new one wins).
    const accountName = nonEmpty(spec.serviceAccountName) ?? nonEmpty(spec.serviceAccount) ?? DEFAULT_SERVICE_ACCOUNT;
    spec.serviceAccountName = accountName;
    spec.serviceAccount = accountName;
    let account = await this.serviceAccount(attrs.namespace, accountName);
    if (!account && accountName === DEFAULT_SERVICE_ACCOUNT && !this.managed) account = {};
    if (!account) {
      throw admissionForbidden(attrs, `error looking up service account ${attrs.namespace}/${accountName}: serviceaccount "${accountName}" not found`);
    }
    const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken : account.automountServiceAccountToken !== false;
    if (automount) mountAPIAccess(spec);
    // A pod that names no pull secrets gets its account's.
    const pullSecrets = items(account, 'imagePullSecrets');
    if (items(spec, 'imagePullSecrets').length === 0 && pullSecrets.length > 0) spec.imagePullSecrets = pullSecrets.map((s) => ({ name: s.name }));
  }

  /** The account from the cache; the `default` one gets a short grace to appear in a brand-new namespace. */
  private async serviceAccount(namespace: string, name: string): Promise<Fields | undefined> {
    const deadline = Date.now() + (name === DEFAULT_SERVICE_ACCOUNT && this.managed ? this.waitMs : 0);
    for (;;) {
      await this.objects.fresh();
      const found = this.objects.get(SERVICE_ACCOUNTS, namespace, name);
      if (found || Date.now() >= deadline) return found;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }
}

/** Adds the API access volume and mounts it in every container that does not already mount that path. */
function mountAPIAccess(spec: Fields): void {
  const volumes = items(spec, 'volumes');
  let volume = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(API_ACCESS_VOLUME_PREFIX));
  const containers = [...items(spec, 'initContainers'), ...items(spec, 'containers')];
  const needing = containers.filter((c) => !items(c, 'volumeMounts').some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH));
  if (needing.length === 0) return;
  if (!volume) {
    const taken = new Set(volumes.map((v) => v.name));
    let name: string;
    do name = API_ACCESS_VOLUME_PREFIX + randomSuffix(5);
    while (taken.has(name));
    volume = apiAccessVolume(name);
    spec.volumes = [...((spec.volumes as unknown[] | undefined) ?? []), volume];
  }
  for (const c of needing) {
    c.volumeMounts = [...((c.volumeMounts as unknown[] | undefined) ?? []), { name: volume.name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }];
  }
}
