/**
 * Judging the server's answers to fuzz requests: what counts as well-formed (a success, or a client-error
 * `Status` whose code is the HTTP status), and which creates an answer acknowledged.
 */
import type { Status } from 'kubernetes-types/meta/v1.js';
import { parse as parseYAML } from 'yaml';
import type { Reply } from './api-client.js';
import type { FuzzRequest } from './fuzz-requests.js';

/** Parses an answer: JSON, or YAML when that is what came back. */
export function parseAnswer(reply: Reply): unknown {
  const type = String(reply.headers['content-type'] ?? '');
  const text = reply.body.toString('utf8');
  return type.startsWith('application/yaml') ? parseYAML(text, { uniqueKeys: false }) : JSON.parse(text);
}

/** Client errors a mangled request may get (Kubernetes answers none of them with a 5xx). */
export const ALLOWED_FAILURES = new Set([400, 401, 403, 404, 405, 406, 409, 410, 413, 415, 422]);

/** A request whose answer broke the rules. */
export interface Finding {
  index: number;
  request: FuzzRequest;
  problem: string;
}

/** What a fuzz request told about the server: undefined when the answer is acceptable. */
export function judge(req: FuzzRequest, reply: Reply): string | undefined {
  const type = String(reply.headers['content-type'] ?? '');
  const text = reply.body.toString('utf8');
  if (reply.status >= 200 && reply.status < 300) {
    if (req.method === 'HEAD' || reply.body.length === 0) return undefined;
    try {
      if (type.startsWith('application/json') && req.watch) for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
      else if (type.startsWith('application/json')) JSON.parse(text);
      // The YAML parser needs seconds for MiBs; a client this busy would see its own stall as the server hanging.
      else if (type.startsWith('application/yaml') && text.length < 256 * 1024) parseYAML(text, { uniqueKeys: false });
    } catch (err) {
      return `${reply.status} with an unparseable ${type} body: ${(err as Error).message}`;
    }
    return undefined;
  }
  const allowed = ALLOWED_FAILURES.has(reply.status) || (reply.status === 504 && req.futureResourceVersion);
  if (!allowed) return `HTTP ${reply.status}: ${text.slice(0, 300)}`;
  if (req.method === 'HEAD') return undefined;
  let status: Status;
  try {
    if (!/^application\/(json|yaml)/.test(type)) throw new Error(`Content-Type ${type}`);
    status = parseAnswer(reply) as Status;
  } catch (err) {
    return `HTTP ${reply.status} without a Status body (${(err as Error).message}): ${text.slice(0, 300)}`;
  }
  if (status.kind !== 'Status' || status.apiVersion !== 'v1' || status.status !== 'Failure') return `malformed Status: ${text.slice(0, 300)}`;
  if (status.code !== reply.status) return `Status code ${status.code} on HTTP ${reply.status}`;
  if (typeof status.reason !== 'string' || status.reason === '') return `Status without a reason: ${text.slice(0, 300)}`;
  if (typeof status.message !== 'string') return `Status without a message: ${text.slice(0, 300)}`;
  return undefined;
}

/**
 * `namespace/name` of the configmap a 201 acknowledged, whatever form the answer took (JSON or YAML; the
 * object, its PartialObjectMetadata, or a one-row Table).
 */
export function createdConfigMap(req: FuzzRequest, reply: Reply): string | undefined {
  const route = /^\/api\/v1\/(?:watch\/)?namespaces\/([^/?]+)\/configmaps(?:[/?]|$)/.exec(req.path);
  if (!route) return undefined;
  const answer = parseAnswer(reply) as { metadata?: { name?: string; namespace?: string }; rows?: Array<{ cells: unknown[] }> };
  const name = answer.rows ? String(answer.rows[0]?.cells[0]) : answer.metadata?.name;
  return `${answer.metadata?.namespace ?? decodeURIComponent(route[1]!)}/${name}`;
}

/** One line for a report: the request as sent (body abridged) and what was wrong with its answer. */
export function describeFinding(f: Finding): string {
  const body = f.request.body ? ` body(${f.request.body.length}B)=${JSON.stringify(f.request.body.subarray(0, 160).toString('utf8'))}` : '';
  return `#${f.index} ${f.request.method} ${f.request.path.slice(0, 300)} ${JSON.stringify(f.request.headers)}${f.request.chunked ? ' chunked' : ''}${f.request.anonymous ? ' anonymous' : ''}${body}\n    => ${f.problem}`;
}
