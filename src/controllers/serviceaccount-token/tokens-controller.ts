/**
 * The token controller (kube's serviceaccount-token-controller): fills Secrets of type
 * `kubernetes.io/service-account-token` that name a ServiceAccount (annotation
 * `kubernetes.io/service-account.name`) with a non-expiring legacy token for that account, the cluster CA
 * (`ca.crt`) and the namespace, and records the account's uid (annotation
 * `kubernetes.io/service-account.uid`); deletes such Secrets when their account is gone (or was replaced by
 * one of the same name), and drops a deleted token Secret from its account's `secrets` list. As in
 * Kubernetes ≥1.24 it never creates token Secrets itself: users create them and it fills them.
 */
import type { Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { Controller } from '../../client/controller.js';
import { isConflict, isNotFound } from '../../client/errors.js';
import { splitMetaNamespaceKey } from '../../client/indexer.js';
import type { SharedInformer } from '../../client/informer.js';
import { SECRETS, SERVICEACCOUNTS } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import { legacyClaims, LEGACY_ISSUER, TokenGenerator } from '../../apiserver/serviceaccount/claims.js';
import { signingKeyFromPEM } from '../../apiserver/serviceaccount/jwt.js';
import type { ControllerContext, ManagedController } from '../context.js';

export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_KEY = 'kubernetes.io/service-account.uid';
/** The data keys of a token Secret. */
export const TOKEN_KEY = 'token';
export const ROOT_CA_KEY = 'ca.crt';
export const NAMESPACE_KEY = 'namespace';

type SecretObject = Secret & KubeObject;
type ServiceAccountObject = ServiceAccount & KubeObject;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Whether `secret` is a token Secret of `sa` (same name, and the same uid when it recorded one). */
export function isServiceAccountToken(secret: Secret, sa: ServiceAccount): boolean {
  if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return false;
  const annotations = secret.metadata?.annotations ?? {};
  if (annotations[SERVICE_ACCOUNT_NAME_KEY] !== sa.metadata?.name) return false;
  const uid = annotations[SERVICE_ACCOUNT_UID_KEY];
  return !uid || uid === sa.metadata?.uid;
}

export class TokensController implements ManagedController {
  readonly name = 'serviceaccount-token-controller';
  /** Keyed by `namespace/name` of ServiceAccounts: deletes the token Secrets of accounts that are gone. */
  private readonly accountQueue: Controller;
  /** Keyed by `namespace/name` of token Secrets: fills them, or deletes them when their account is gone. */
  private readonly secretQueue: Controller;
  private readonly generator: TokenGenerator | undefined;
  private serviceAccounts!: SharedInformer<ServiceAccountObject>;
  private secrets!: SharedInformer<SecretObject>;
  /** Token Secrets seen deleted, by key: the account whose `secrets` list may still name them. */
  private readonly deletedSecrets = new Map<string, string>();

  constructor(private readonly ctx: ControllerContext) {
    const logger = ctx.logger.child({ controller: this.name });
    this.accountQueue = new Controller({ name: `${this.name}-serviceaccounts`, sync: (key) => this.syncServiceAccount(key), logger });
    this.secretQueue = new Controller({ name: `${this.name}-secrets`, sync: (key) => this.syncSecret(key), logger });
    // kube-controller-manager runs this controller only with --service-account-private-key-file.
    this.generator = ctx.serviceAccountPrivateKey ? new TokenGenerator(LEGACY_ISSUER, signingKeyFromPEM(ctx.serviceAccountPrivateKey)) : undefined;
    if (!this.generator) logger.info('no service account private key: token Secrets are not filled');
  }

  async init(): Promise<void> {
    if (!this.generator) return;
    this.serviceAccounts = this.ctx.informers.informerFor<ServiceAccountObject>(SERVICEACCOUNTS);
    this.secrets = this.ctx.informers.informerFor<SecretObject>(SECRETS);
    this.serviceAccounts.addEventHandler({ onDelete: (sa) => this.accountQueue.enqueue(key(sa)) });
    const isToken = (s: SecretObject): boolean => s.type === SERVICE_ACCOUNT_TOKEN_TYPE;
    this.secrets.addEventHandler({
      onAdd: (s) => isToken(s) && this.secretQueue.enqueue(key(s)),
      onUpdate: (_old, s) => isToken(s) && this.secretQueue.enqueue(key(s)),
      onDelete: (s) => {
        if (!isToken(s)) return;
        this.deletedSecrets.set(key(s), s.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY] ?? '');
        this.secretQueue.enqueue(key(s));
      },
    });
  }

  async run(): Promise<void> {
    if (!this.generator) return;
    await Promise.all([this.serviceAccounts.waitForSync(), this.secrets.waitForSync()]);
    this.accountQueue.run(1);
    this.secretQueue.run(1);
  }

  async stop(): Promise<void> {
    await Promise.all([this.accountQueue.stop(), this.secretQueue.stop()]);
  }

  /** One account's sync (the workers call it): deletes the token Secrets of an account that no longer exists, or of an earlier account of that name. */
  async syncServiceAccount(saKey: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(saKey);
    const sa = this.serviceAccounts.lister().namespace(namespace).get(name);
    for (const secret of this.secrets.lister().namespace(namespace).list()) {
      if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE || secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY] !== name) continue;
      if (sa && isServiceAccountToken(secret, sa)) continue;
      await this.deleteToken(secret);
    }
  }

  /** One token Secret's sync (the workers call it): fills it, deletes it, or unlists it from its account. */
  async syncSecret(secretKey: string): Promise<void> {
    const { namespace, name } = splitMetaNamespaceKey(secretKey);
    const secret = this.secrets.lister().namespace(namespace).get(name);
    if (!secret) {
      const saName = this.deletedSecrets.get(secretKey);
      if (saName) await this.removeSecretReference(namespace, saName, name);
      this.deletedSecrets.delete(secretKey);
      return;
    }
    if (secret.type !== SERVICE_ACCOUNT_TOKEN_TYPE) return;
    const sa = await this.serviceAccountFor(secret);
    if (!sa) {
      await this.deleteToken(secret);
      return;
    }
    await this.generateTokenIfNeeded(sa, secret);
  }

  /**
   * The account a token Secret names, when it exists with the uid the Secret recorded. The cache may lag a
   * just-created account, so a miss is checked against the server before the Secret is deleted for it.
   */
  private async serviceAccountFor(secret: SecretObject): Promise<ServiceAccountObject | undefined> {
    const namespace = secret.metadata.namespace!;
    const name = secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY] ?? '';
    if (!name) return undefined;
    let sa = this.serviceAccounts.lister().namespace(namespace).get(name);
    if (!sa) {
      try {
        sa = await this.ctx.client.resource<ServiceAccountObject>(SERVICEACCOUNTS).namespace(namespace).get(name);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
    return isServiceAccountToken(secret, sa) ? sa : undefined;
  }

  /** What a token Secret still lacks (kube's secretUpdateNeeded). */
  private updateNeeded(secret: Secret): { ca: boolean; namespace: boolean; token: boolean } {
    const data = secret.data ?? {};
    return {
      ca: this.ctx.rootCA.length > 0 && data[ROOT_CA_KEY] !== b64(this.ctx.rootCA),
      namespace: !data[NAMESPACE_KEY],
      token: !data[TOKEN_KEY],
    };
  }

  private async generateTokenIfNeeded(sa: ServiceAccountObject, cached: SecretObject): Promise<void> {
    const needs = this.updateNeeded(cached);
    if (!needs.ca && !needs.namespace && !needs.token) return;
    const secrets = this.ctx.client.resource<SecretObject>(SECRETS).namespace(cached.metadata.namespace!);
    let live: SecretObject;
    try {
      live = await secrets.get(cached.metadata.name!);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    // An older view than the server's: the informer brings the newer one and this runs again.
    if (live.metadata.resourceVersion !== cached.metadata.resourceVersion) return;
    const liveNeeds = this.updateNeeded(live);
    const data = { ...(live.data ?? {}) };
    if (liveNeeds.ca) data[ROOT_CA_KEY] = b64(this.ctx.rootCA);
    if (liveNeeds.namespace) data[NAMESPACE_KEY] = b64(live.metadata.namespace!);
    if (liveNeeds.token) {
      const claims = legacyClaims({ namespace: sa.metadata.namespace!, name: sa.metadata.name!, uid: sa.metadata.uid! }, live.metadata.name!);
      data[TOKEN_KEY] = b64(this.generator!.generate(claims));
    }
    const annotations = { ...(live.metadata.annotations ?? {}), [SERVICE_ACCOUNT_NAME_KEY]: sa.metadata.name!, [SERVICE_ACCOUNT_UID_KEY]: sa.metadata.uid! };
    try {
      await secrets.update({ ...live, metadata: { ...live.metadata, annotations }, data });
    } catch (err) {
      // A concurrent write or a deletion: the informer's next event brings this Secret back here.
      if (isConflict(err) || isNotFound(err)) return;
      throw err;
    }
  }

  private async deleteToken(secret: SecretObject): Promise<void> {
    try {
      await this.ctx.client
        .resource(SECRETS)
        .namespace(secret.metadata.namespace!)
        .delete(secret.metadata.name!, { preconditions: { uid: secret.metadata.uid! } });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  /** Drops a deleted token Secret from its account's `secrets` list (kube's removeSecretReference). */
  private async removeSecretReference(namespace: string, saName: string, secretName: string): Promise<void> {
    const cached = this.serviceAccounts.lister().namespace(namespace).get(saName);
    if (!cached?.secrets?.some((ref) => ref.name === secretName)) return;
    const accounts = this.ctx.client.resource<ServiceAccountObject>(SERVICEACCOUNTS).namespace(namespace);
    try {
      const live = await accounts.get(saName);
      const secrets = (live.secrets ?? []).filter((ref) => ref.name !== secretName);
      if (secrets.length === (live.secrets ?? []).length) return;
      await accounts.update({ ...live, secrets });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

function key(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}
