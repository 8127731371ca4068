/**
 * `POST serviceaccounts/<name>/token`: the TokenRequest API (kube's TokenREST). Issues a signed, audience-
 * and time-bound token for the service account, optionally bound to a Pod, Secret or Node of the request (the
 * token stops authenticating when that object goes). Takes an authentication.k8s.io/v1 TokenRequest and
 * answers it with status.token and status.expirationTimestamp filled in.
 */
import type { Node, Pod, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import { badRequest, conflict, internalError, invalid, StatusError } from '../../apimachinery/status.js';
import { rfc3339 } from '../../apimachinery/time.js';
import { decodeBody, readBody, writeObject } from '../http.js';
import type { GenericRegistry } from '../registry/generic.js';
import {
  boundClaims,
  EXPIRATION_EXTENSION_SECONDS,
  WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
  type BoundTokenRequest,
  type TokenGenerator,
} from '../serviceaccount/claims.js';
import type { RequestScope } from './scope.js';
import { parseDryRun } from './write.js';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;
/** kube's TokenRequest validation bounds, and the default lifetime (SetDefaults_TokenRequestSpec). */
const MIN_EXPIRATION_SECONDS = 10 * 60;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
export const DEFAULT_EXPIRATION_SECONDS = 60 * 60;

/** What the TokenRequest handler needs beyond the request: the signer and the registries of bindable objects. */
export interface TokenRequestContext {
  generator: TokenGenerator;
  /** `--api-audiences`: the audiences of a request that names none. */
  audiences: readonly string[];
  /** `--service-account-max-token-expiration` in seconds (0 or unset: no cap). */
  maxExpirationSeconds?: number;
  /** `--service-account-extend-token-expiration` (default true). */
  extendExpiration?: boolean;
  pods: GenericRegistry;
  secrets: GenericRegistry;
  nodes: GenericRegistry;
}

/** Go's schema.FromAPIVersionAndKind then GroupVersionKind.String(): `/v1, Kind=Pod`. */
function groupVersionKind(apiVersion: string, kind: string): { group: string; version: string; kind: string; text: string } {
  const parts = apiVersion.split('/');
  let group = '';
  let version = '';
  if (parts.length === 1) version = parts[0]!;
  else if (parts.length === 2) [group, version] = parts as [string, string];
  return { group, version, kind, text: `${group}/${version}, Kind=${kind}` };
}

async function getObject<T>(registry: GenericRegistry, namespace: string | undefined, name: string): Promise<T & { metadata: { name?: string; uid?: string } }> {
  return JSON.parse((await registry.get(namespace, name)).json) as T & { metadata: { name?: string; uid?: string } };
}

function decodeTokenRequest(body: unknown): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the object provided is unrecognized (must be of type TokenRequest)');
  const req = body as TokenRequest;
  if ((req.kind ?? 'TokenRequest') !== 'TokenRequest' || (req.apiVersion ?? API_VERSION) !== API_VERSION) {
    throw badRequest('the object provided is unrecognized (must be of type TokenRequest)');
  }
  const spec = req.spec ?? ({} as TokenRequest['spec']);
  if (spec.audiences !== undefined && spec.audiences !== null && (!Array.isArray(spec.audiences) || spec.audiences.some((a) => typeof a !== 'string'))) {
    throw badRequest('spec.audiences: must be a list of strings');
  }
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null && !Number.isSafeInteger(spec.expirationSeconds)) {
    throw badRequest('spec.expirationSeconds: must be an integer');
  }
  return req;
}

export async function createTokenRequest(scope: RequestScope, ctx: TokenRequestContext): Promise<void> {
  const { info } = scope;
  const namespace = info.namespace;
  const name = info.name;
  parseDryRun(scope);
  const req = decodeTokenRequest(decodeBody(await readBody(scope.req), scope.req.headers['content-type']));
  const meta = req.metadata ?? {};
  const mismatch = (field: string, value: string, what: string): StatusError =>
    invalid('TokenRequest', GROUP, name, [{ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(value)}: must match the service account ${what} if specified` }]);
  if (meta.name && meta.name !== name) throw mismatch('metadata.name', meta.name, 'name');
  if (meta.namespace && meta.namespace !== namespace) throw mismatch('metadata.namespace', meta.namespace, 'namespace');

  const sa = await getObject<ServiceAccount>(scope.registry, namespace, name);
  const spec = req.spec ?? ({} as TokenRequest['spec']);
  const audiences = spec.audiences && spec.audiences.length > 0 ? [...spec.audiences] : [...ctx.audiences];
  let expirationSeconds = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  const now = Date.now();

  const causes: StatusCause[] = [];
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: may not specify a duration less than 10 minutes` });
  }
  if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
    causes.push({ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds` });
  }
  // kube validates before it names the request, so the message says `TokenRequest.authentication.k8s.io "" is invalid`.
  if (causes.length > 0) throw invalid('TokenRequest', GROUP, '', causes);

  const bound: Pick<BoundTokenRequest, 'pod' | 'secret' | 'node'> = {};
  const ref = spec.boundObjectRef;
  if (ref) {
    const gvk = groupVersionKind(ref.apiVersion ?? '', ref.kind ?? '');
    const refName = ref.name ?? '';
    let uid: string | undefined;
    if (gvk.group === '' && gvk.kind === 'Pod') {
      const pod = await getObject<Pod>(ctx.pods, namespace, refName);
      if (name !== pod.spec?.serviceAccountName) {
        throw badRequest(`cannot bind token for serviceaccount ${JSON.stringify(name)} to pod running with different serviceaccount name.`);
      }
      uid = pod.metadata.uid;
      bound.pod = { name: pod.metadata.name ?? refName, uid: uid ?? '' };
      // The node the pod runs on is recorded too (ServiceAccountTokenPodNodeInfo), by name alone if it is gone.
      const nodeName = pod.spec?.nodeName;
      if (nodeName) {
        try {
          const node = await getObject<Node>(ctx.nodes, undefined, nodeName);
          bound.node = { name: nodeName, uid: node.metadata.uid ?? '' };
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw internalError(err instanceof Error ? err.message : String(err));
          bound.node = { name: nodeName };
        }
      }
    } else if (gvk.group === '' && gvk.kind === 'Node') {
      const node = await getObject<Node>(ctx.nodes, undefined, refName);
      uid = node.metadata.uid;
      bound.node = { name: refName, uid: uid ?? '' };
    } else if (gvk.group === '' && gvk.kind === 'Secret') {
      const secret = await getObject<Secret>(ctx.secrets, namespace, refName);
      uid = secret.metadata.uid;
      bound.secret = { name: refName, uid: uid ?? '' };
    } else {
      throw badRequest(`cannot bind token to object of type ${gvk.text}`);
    }
    if (ref.uid && uid !== ref.uid) {
      throw conflict(
        { group: gvk.group, resource: gvk.kind },
        refName,
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
  }

  if (ctx.maxExpirationSeconds && expirationSeconds > ctx.maxExpirationSeconds) {
    scope.warnings.push(`requested expiration of ${expirationSeconds} seconds shortened to ${ctx.maxExpirationSeconds} seconds`);
    expirationSeconds = ctx.maxExpirationSeconds;
  }
  // Projected tokens of pods (the 3607 s ServiceAccount admission asks for) are extended to a year for the
  // apiserver's audiences and say when they should have been refreshed (warnafter).
  let tokenSeconds = expirationSeconds;
  let warnAfterSeconds: number | undefined;
  if ((ctx.extendExpiration ?? true) && bound.pod && expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && audiences.every((a) => ctx.audiences.includes(a))) {
    warnAfterSeconds = expirationSeconds;
    tokenSeconds = EXPIRATION_EXTENSION_SECONDS;
  }
  const token = ctx.generator.generate(
    boundClaims({
      namespace,
      serviceAccount: { name: sa.metadata.name ?? name, uid: sa.metadata.uid ?? '' },
      ...bound,
      audiences,
      expirationSeconds: tokenSeconds,
      ...(warnAfterSeconds !== undefined ? { warnAfterSeconds } : {}),
      now,
    }),
  );
  const out: TokenRequest = {
    kind: 'TokenRequest',
    apiVersion: API_VERSION,
    metadata: { ...meta, name: meta.name || name, namespace: meta.namespace || namespace, creationTimestamp: rfc3339(now) },
    spec: { ...spec, audiences, expirationSeconds },
    status: { token, expirationTimestamp: rfc3339(now + expirationSeconds * 1000) },
  };
  scope.code = 201;
  writeObject(scope.req, scope.res, out, { status: 201, type: scope.accept.type, warnings: scope.warnings });
}
