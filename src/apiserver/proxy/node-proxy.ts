/**
 * The apiserver's connect subresources that reach a node's kubelet: pods/log, pods/exec, pods/attach,
 * pods/portforward and nodes/proxy. As kube-apiserver's pod strategy (LogLocation, ExecLocation...) it finds
 * the pod's node, the node's address and kubelet port, builds the kubelet URL, and proxies the request with
 * an upgrade-aware proxy authenticated by the apiserver's kubelet client certificate.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { badRequest, failure, invalid, type StatusCause, type StatusError } from '../../apimachinery/status.js';
import { proxyRequest, proxyUpgrade, type ProxyTarget } from '../../kubelet/streaming/upgrade-proxy.js';
import type { ResourceRequest } from '../request-info.js';
import { isTrue } from '../request-info.js';

/** The subresources this module serves. */
export const CONNECT_SUBRESOURCES: Record<string, ReadonlySet<string>> = {
  pods: new Set(['log', 'exec', 'attach', 'portforward']),
  nodes: new Set(['proxy']),
};

export function isConnectRequest(info: ResourceRequest): boolean {
  return info.group === '' && !!info.subresource && !!CONNECT_SUBRESOURCES[info.resource]?.has(info.subresource);
}

export interface NodeProxyOptions {
  getPod(namespace: string, name: string): Promise<Pod>;
  getNode(name: string): Promise<Node>;
  /** The apiserver's client certificate for kubelets (kube's --kubelet-client-certificate/-key). */
  kubeletClient?: { cert: string; key: string };
  /** Verify kubelets' serving certificates with this CA (kube's --kubelet-certificate-authority); unset = not verified, as kube's default. */
  kubeletCA?: string;
}

/** The kubelet's port when the node does not say (kubelet's --port default). */
const DEFAULT_KUBELET_PORT = 10250;

function containerNames(list: Array<{ name: string }> | undefined): string {
  return (list ?? []).map((c) => c.name).join(' ');
}

/** The container a request is about: the one named, or the only one; with kube's messages otherwise. */
function resolveContainer(pod: Pod, asked: string | null): string {
  const name = pod.metadata?.name ?? '';
  const spec = pod.spec;
  let container = asked ?? '';
  if (!container) {
    if (spec?.containers?.length === 1) container = spec.containers[0]!.name;
    else {
      let msg = `a container name must be specified for pod ${name}, choose one of: [${containerNames(spec?.containers)}]`;
      if (spec?.initContainers?.length) msg += ` or one of the init containers: [${containerNames(spec.initContainers)}]`;
      if (spec?.ephemeralContainers?.length) msg += ` or one of the ephemeral containers: [${containerNames(spec.ephemeralContainers)}]`;
      throw badRequest(msg);
    }
  }
  const all = [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])];
  if (!all.some((c) => c.name === container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}

/** PodLogOptions validation, as kube's ValidatePodLogOptions. */
function validateLogOptions(name: string, q: URLSearchParams): void {
  const causes: StatusCause[] = [];
  const check = (field: string, min: number, message: string): void => {
    const v = q.get(field);
    if (v === null || v === '') return;
    if (!/^-?\d+$/.test(v)) throw badRequest(`${field}: Invalid value: "${v}": must be an integer`);
    if (Number(v) < min) causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${v}: ${message}` });
  };
  check('tailLines', 0, 'must be greater than or equal to 0');
  check('limitBytes', 1, 'must be greater than 0');
  check('sinceSeconds', 1, 'must be greater than 0');
  if (q.get('sinceSeconds') && q.get('sinceTime')) causes.push({ reason: 'FieldValueForbidden', field: '', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  if (causes.length) throw invalid('PodLogOptions', '', name, causes);
}

export class NodeProxy {
  constructor(private readonly opts: NodeProxyOptions) {}

  /** The kubelet's base URL for a node: its InternalIP (else Hostname, else any address) and kubelet port. */
  async kubeletURL(nodeName: string): Promise<URL> {
    const node = await this.opts.getNode(nodeName);
    const addresses = node.status?.addresses ?? [];
    const address = addresses.find((a) => a.type === 'InternalIP') ?? addresses.find((a) => a.type === 'Hostname') ?? addresses[0];
    if (!address) throw badRequest(`node ${nodeName} has no addresses`);
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT;
    const host = address.address.includes(':') ? `[${address.address}]` : address.address;
    return new URL(`https://${host}:${port}`);
  }

  /** Where on the kubelet the request goes; undefined for the log of a pod with no node yet (empty log). */
  async location(info: ResourceRequest, query: URLSearchParams, path: string): Promise<URL | undefined> {
    if (info.resource === 'nodes') {
      const base = await this.kubeletURL(info.name);
      // Everything after `/proxy` is the kubelet's path.
      const marker = `/nodes/${info.name}/proxy`;
      const rest = path.slice(path.indexOf(marker) + marker.length) || '/';
      const url = new URL(rest, base);
      url.search = query.toString();
      return url;
    }
    const pod = await this.opts.getPod(info.namespace, info.name);
    const name = info.name;
    const nodeName = pod.spec?.nodeName;
    const ns = encodeURIComponent(info.namespace);
    const podPath = encodeURIComponent(name);
    const params = new URLSearchParams();
    switch (info.subresource) {
      case 'log': {
        validateLogOptions(name, query);
        const container = resolveContainer(pod, query.get('container'));
        if (!nodeName) return undefined;
        for (const flag of ['follow', 'previous', 'timestamps', 'insecureSkipTLSVerifyBackend']) if (isTrue(query.get(flag))) params.set(flag, 'true');
        for (const field of ['sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes']) {
          const v = query.get(field);
          if (v) params.set(field, v);
        }
        const url = new URL(`/containerLogs/${ns}/${podPath}/${encodeURIComponent(container)}`, await this.kubeletURL(nodeName));
        url.search = params.toString();
        return url;
      }
      case 'exec':
      case 'attach': {
        const container = resolveContainer(pod, query.get('container'));
        if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
        const stdin = isTrue(query.get('stdin'));
        const stdout = isTrue(query.get('stdout'));
        const stderr = isTrue(query.get('stderr'));
        const tty = isTrue(query.get('tty'));
        if (!stdin && !stdout && !stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
        if (stdin) params.set('input', '1');
        if (stdout) params.set('output', '1');
        if (stderr) params.set('error', '1');
        if (tty) params.set('tty', '1');
        if (info.subresource === 'exec') for (const c of query.getAll('command')) params.append('command', c);
        const kind = info.subresource;
        const url = new URL(`/${kind}/${ns}/${podPath}/${encodeURIComponent(container)}`, await this.kubeletURL(nodeName));
        url.search = params.toString();
        return url;
      }
      case 'portforward': {
        if (!nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
        for (const p of query.getAll('ports')) params.append('port', p);
        const url = new URL(`/portForward/${ns}/${podPath}`, await this.kubeletURL(nodeName));
        url.search = params.toString();
        return url;
      }
    }
    throw badRequest(`unsupported subresource ${info.subresource}`);
  }

  private target(url: URL): ProxyTarget {
    return {
      url,
      tls: {
        ...(this.opts.kubeletClient ? { cert: this.opts.kubeletClient.cert, key: this.opts.kubeletClient.key } : {}),
        ...(this.opts.kubeletCA ? { ca: this.opts.kubeletCA, rejectUnauthorized: true } : { rejectUnauthorized: false }),
      },
    };
  }

  /** A plain (non-upgrade) request: the log stream, or a nodes/proxy call. */
  async serve(info: ResourceRequest, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, path: string, writeError: (err: StatusError) => void): Promise<void> {
    if (info.resource === 'pods' && info.subresource !== 'log') throw badRequest('Upgrade request required');
    if (info.subresource === 'log' && req.method !== 'GET' && req.method !== 'HEAD') throw failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    const url = await this.location(info, query, path);
    if (!url) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    await proxyRequest(req, res, this.target(url), info.subresource === 'log' ? (status, body) => writeError(kubeletError(status, body)) : undefined);
    // (nodes/proxy answers are the kubelet's own, passed on as they are.)
  }

  /** An upgrade request (exec, attach, port-forward; nodes/proxy too): piped to the kubelet once it says 101. */
  async serveUpgrade(info: ResourceRequest, req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams, path: string): Promise<void> {
    const url = await this.location(info, query, path);
    if (!url) throw badRequest(`pod ${info.name} does not have a host assigned`);
    // As kube's UpgradeAwareHandler: a kubelet's refusal is passed on as it is; not reaching it is a Status.
    await proxyUpgrade(req, socket, head, this.target(url), undefined, (err) => {
      const status = failure(500, 'InternalError', `error dialing backend: ${err.message}`);
      return { status: 500, statusText: 'Internal Server Error', body: JSON.stringify(status.status), contentType: 'application/json' };
    });
  }
}

/**
 * A kubelet's error answer as the apiserver passes it on: a Status with the kubelet's code and its text as
 * the message (kube's LocationStreamer does the same), so kubectl prints `container "x" ... is waiting...`.
 */
export function kubeletError(status: number, body: Buffer): StatusError {
  const message = body.toString().trim();
  const reasons: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 502: 'InternalError' };
  return failure(status === 502 ? 500 : status, reasons[status] ?? 'InternalError', message);
}
