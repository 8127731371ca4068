/**
 * The httpGet probe, as kube's pkg/probe/http does it: a GET with `User-Agent: kube-probe/<major>.<minor>` and
 * `Accept: *\/*` unless the probe sets them, no certificate verification for HTTPS, no keep-alive, redirects
 * followed only while they stay on the same host name, at most 10 KiB of the body read, and one timeout
 * (timeoutSeconds) for the whole exchange. 200-399 is success; a 3xx the prober did not follow is a success
 * with a warning (`Probe terminated redirects`).
 */
import http from 'node:http';
import https from 'node:https';
import type { Container, HTTPGetAction } from 'kubernetes-types/core/v1.js';
import { KUBERNETES_VERSION } from '../../version.js';
import { goNetError, joinHostPort } from './errors.js';
import { resolveContainerPort } from './ports.js';
import type { ProbeActionOutcome } from './types.js';

/** The most of a response body the prober reads (kube's maxRespBodyLength). */
export const MAX_RESPONSE_BODY = 10 * 1024;
/** Go's http.Client gives up when the 10th response is still a redirect. */
const MAX_REQUESTS = 10;

/** The User-Agent every probe sends unless the probe overrides it. */
export const PROBE_USER_AGENT = `kube-probe/${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}`;

/** Request headers: canonical name -> values, in order (HTTP allows repeated headers). */
export type ProbeHeaders = Map<string, string[]>;

/** A probe's request: where to GET and with which headers. */
export interface ProbeRequest {
  url: URL;
  headers: ProbeHeaders;
}

/** Go's textproto.CanonicalMIMEHeaderKey: `x-custom-header` -> `X-Custom-Header`. */
export function canonicalHeaderKey(name: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) return name;
  return name
    .toLowerCase()
    .split('-')
    .map((part) => (part ? part[0]!.toUpperCase() + part.slice(1) : part))
    .join('-');
}

/**
 * Builds the probe's request from an httpGet action (kube's NewRequestForHTTPGetAction): scheme defaults to
 * http, host to the pod IP, a named port resolves against the container's ports. Throws when the port
 * does not resolve.
 */
export function newProbeRequest(action: HTTPGetAction, container: Container, podIP: string): ProbeRequest {
  const scheme = (action.scheme ?? 'HTTP').toLowerCase() || 'http';
  const host = action.host || podIP;
  const port = resolveContainerPort(action.port, container);
  const url = new URL(`${scheme}://${joinHostPort(host, port)}`);
  // The path may carry a query; kube parses it as a URL reference and keeps whatever it holds.
  const path = action.path ?? '';
  const q = path.indexOf('?');
  const pathname = q >= 0 ? path.slice(0, q) : path;
  url.pathname = pathname.startsWith('/') ? pathname : `/${pathname}`;
  if (q >= 0) url.search = path.slice(q);

  const headers: ProbeHeaders = new Map();
  for (const h of action.httpHeaders ?? []) {
    const key = canonicalHeaderKey(h.name);
    headers.set(key, [...(headers.get(key) ?? []), h.value]);
  }
  if (!headers.has('User-Agent')) headers.set('User-Agent', [PROBE_USER_AGENT]);
  if (!headers.has('Accept')) headers.set('Accept', ['*/*']);
  else if ((headers.get('Accept')![0] ?? '') === '') headers.delete('Accept'); // set but empty: send none
  return { url, headers };
}

interface Response {
  status: number;
  location?: string;
  body: string;
}

/** Why an exchange ended early: the probe's deadline passed while awaiting headers or reading the body. */
class DeadlineExceeded extends Error {
  constructor(readonly phase: 'headers' | 'body') {
    super(
      phase === 'headers'
        ? 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
        : 'context deadline exceeded (Client.Timeout or context cancellation while reading body)',
    );
  }
}

/** A failure while reading the body; kube treats it as a probe error rather than a failed check. */
class BodyReadError extends Error {}

function effectivePort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

function exchange(url: URL, headers: ProbeHeaders, signal: AbortSignal): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let phase: 'headers' | 'body' = 'headers';
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
      req.destroy();
    };
    const onAbort = (): void => settle(() => reject(new DeadlineExceeded(phase)));
    const nodeHeaders: Record<string, string | string[]> = {};
    for (const [k, v] of headers) nodeHeaders[k] = v.length === 1 ? v[0]! : v;
    const options: https.RequestOptions = { method: 'GET', headers: nodeHeaders, agent: false };
    // The prober checks liveness, not identity: kube skips certificate verification.
    if (url.protocol === 'https:') options.rejectUnauthorized = false;
    const req = (url.protocol === 'https:' ? https : http).request(url, options);
    req.on('error', (err) => settle(() => reject(phase === 'body' ? new BodyReadError(err.message) : err)));
    req.on('response', (res) => {
      phase = 'body';
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void =>
        settle(() =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      res.on('data', (chunk: Buffer) => {
        const take = Math.min(chunk.length, MAX_RESPONSE_BODY - size);
        if (take > 0) chunks.push(chunk.subarray(0, take));
        size += take;
        // Enough read: the status decides; stop reading (kube closes the connection at 10 KiB).
        if (size >= MAX_RESPONSE_BODY) done();
      });
      res.on('end', done);
      res.on('error', (err) => settle(() => reject(new BodyReadError(err.message))));
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Runs an HTTP probe: GET `request.url`, following same-host redirects, within `timeoutSeconds`. */
export async function probeHTTP(request: ProbeRequest, timeoutSeconds: number): Promise<ProbeActionOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutSeconds * 1000);
  let url = request.url;
  let headers = request.headers;
  try {
    for (let requests = 1; ; requests++) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return { result: 'failure', output: `Get "${url.href}": unsupported protocol scheme "${url.protocol.slice(0, -1)}"` };
      }
      let res: Response;
      try {
        res = await exchange(url, headers, controller.signal);
      } catch (err) {
        if (err instanceof DeadlineExceeded && err.phase === 'headers') {
          return { result: 'failure', output: `Get "${url.href}": ${err.message}` };
        }
        if (err instanceof DeadlineExceeded || err instanceof BodyReadError) {
          return { result: 'failure', output: '', error: err };
        }
        const hostname = url.hostname.replace(/^\[|\]$/g, '');
        return { result: 'failure', output: `Get "${url.href}": ${goNetError(err, hostname, effectivePort(url))}` };
      }
      if (isRedirect(res.status) && res.location) {
        let next: URL;
        try {
          next = new URL(res.location, url);
        } catch {
          return { result: 'failure', output: `Get "${url.href}": failed to parse Location header "${res.location}"` };
        }
        // kube follows a redirect only to the host it first asked; any other answer is taken as is.
        if (next.hostname === request.url.hostname) {
          if (requests >= MAX_REQUESTS) {
            return { result: 'failure', output: `Get "${next.href}": stopped after 10 redirects` };
          }
          // Go keeps a custom Host header only across a relative redirect.
          if (/^[a-z][a-z0-9+.-]*:/i.test(res.location) || res.location.startsWith('//')) {
            headers = new Map(headers);
            headers.delete('Host');
          }
          url = next;
          continue;
        }
      }
      if (res.status >= 200 && res.status < 400) {
        if (res.status >= 300) return { result: 'warning', output: `Probe terminated redirects, Response body: ${res.body}` };
        return { result: 'success', output: res.body };
      }
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${res.status}` };
    }
  } finally {
    clearTimeout(timer);
  }
}
