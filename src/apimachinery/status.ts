/**
 * Kubernetes `Status` errors (metav1.Status): every failure the API returns is one of these, worded as
 * kube-apiserver words it so kubectl prints the familiar messages. Handlers throw `StatusError`; the server
 * turns it into the HTTP answer in one place.
 */
import type { StatusCause, Status } from 'kubernetes-types/meta/v1.js';
import { StorageError } from '../storage/errors.js';

export type { Status, StatusCause };

/** A group + resource, for messages such as `deployments.apps "web" not found`. */
export interface GroupResource {
  group: string;
  resource: string;
}

/** `pods` for the core group, `deployments.apps` otherwise, as kube-apiserver qualifies resources. */
export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** A failure that becomes a `Status` answer. */
export class StatusError extends Error {
  override readonly name = 'StatusError';

  constructor(readonly status: Status & { code: number }) {
    super(status.message);
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string | undefined {
    return this.status.reason;
  }
}

/** A Failure Status of `code` and `reason`, for the answers the named builders here do not cover. */
export function failure(code: number, reason: string, message: string, details?: Status['details']): StatusError {
  const status: Status & { code: number } = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return new StatusError(status);
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return failure(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** The answer for a path that names no resource the server knows. */
export function resourceNotFound(): StatusError {
  return failure(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return failure(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** A write that lost an optimistic-concurrency race (stale resourceVersion, changed uid, ...). */
export function conflict(gr: GroupResource, name: string, why: string): StatusError {
  return failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, {
    name,
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

/** The wording kube-apiserver uses when resourceVersion preconditions fail. */
export const OBJECT_MODIFIED = 'the object has been modified; please apply your changes to the latest version and try again';

/**
 * 422: the object fails validation. `kind` is the object's kind (`Pod`), not the resource; the message names
 * the group-qualified kind (`Deployment.apps "web" is invalid: ...`) as kube-apiserver's does, and kubectl
 * rewords it from the details (`The Deployment "web" is invalid: ...`).
 */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  const qualified = group ? `${kind}.${group}` : kind;
  const message =
    causes.length === 1 ? `${qualified} "${name}" is invalid: ${summary}` : `${qualified} "${name}" is invalid: [${summary}]`;
  return failure(422, 'Invalid', message, { name, group: group || undefined, kind, causes });
}

export function badRequest(message: string): StatusError {
  return failure(400, 'BadRequest', message);
}

export function unauthorized(): StatusError {
  return failure(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(user: string, verb: string, gr: GroupResource, namespace: string | undefined, why: string): StatusError {
  const scope = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  return failure(
    403,
    'Forbidden',
    `${qualifiedResource(gr)} is forbidden: User "${user}" cannot ${verb} resource "${gr.resource}" in API group "${gr.group}"${scope}${why ? `: ${why}` : ''}`,
    { group: gr.group || undefined, kind: gr.resource },
  );
}

export function methodNotSupported(gr: GroupResource, verb: string): StatusError {
  return failure(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`, {
    group: gr.group || undefined,
    kind: gr.resource,
  });
}

export function notAcceptable(): StatusError {
  return failure(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml');
}

/** 410 for a continue token or list resourceVersion that storage no longer has. */
export function expired(message: string): StatusError {
  return failure(410, 'Expired', message);
}

/** The 410 a watch receives (as an ERROR event) when asked to start before what is still kept. */
export function tooOldResourceVersion(requested: number, oldest: number): StatusError {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

export function requestEntityTooLarge(limit: number): StatusError {
  return failure(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
}

export function unsupportedMediaType(contentType: string, accepted: string[]): StatusError {
  return failure(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    contentType ? { causes: [{ reason: 'UnsupportedMediaType', message: contentType }] } : undefined,
  );
}

export function internalError(message: string): StatusError {
  return failure(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

export function serviceUnavailable(message: string): StatusError {
  return failure(503, 'ServiceUnavailable', message);
}

export function timeout(message: string): StatusError {
  return failure(504, 'Timeout', message);
}

/** Maps a storage failure to the API's answer for the object it concerned (the one place that does). */
export function fromStorageError(err: StorageError, gr: GroupResource, name: string): StatusError {
  switch (err.code) {
    case 'NotFound':
      return notFound(gr, name);
    case 'AlreadyExists':
      return alreadyExists(gr, name);
    case 'Conflict':
      return conflict(gr, name, OBJECT_MODIFIED);
    case 'Expired':
    case 'TooSlow':
      return expired(err.message);
    case 'Invalid':
      return badRequest(err.message);
    case 'Unavailable':
      return serviceUnavailable(err.message);
    case 'Internal':
      return internalError(err.message);
  }
}

/** Any thrown value as a Status answer; unknown errors become 500 without leaking internals beyond the message. */
export function toStatusError(err: unknown, gr?: GroupResource, name?: string): StatusError {
  if (err instanceof StatusError) return err;
  if (err instanceof StorageError) return fromStorageError(err, gr ?? { group: '', resource: '' }, name ?? '');
  return internalError(err instanceof Error ? err.message : String(err));
}
