/**
 * The kubelet server's errors: an HTTP status and the kubelet's text. Other failures (a runtime call that
 * failed) are answered as a v1 Status instead, since their text (`Exec: ...: ...`) would otherwise be read
 * as YAML by kubectl, which decodes an error body as a Status when it can.
 */
export class HTTPError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 404: 'NotFound', 405: 'MethodNotAllowed', 500: 'InternalError' };

/** The answer for a failure: the kubelet's own text for an HTTPError, a JSON Status for anything else. */
export function errorAnswer(err: unknown): { status: number; body: string; contentType: string } {
  if (err instanceof HTTPError) return { status: err.status, body: err.message, contentType: 'text/plain; charset=utf-8' };
  const message = err instanceof Error ? err.message : String(err);
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[500], code: 500 };
  return { status: 500, body: JSON.stringify(status), contentType: 'application/json' };
}
