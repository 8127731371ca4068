/** The two timestamp forms of the Kubernetes API, formatted once for the server, the client and controllers. */

/** metav1.Time: RFC 3339 in whole seconds (`2026-11-25T12:00:00Z`), of `ms` (default now). */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds (`2026-11-25T12:00:00.123000Z`), of `ms` (default now). */
export function microTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
