/** The HTTPS transport: TLS to the apiserver with a kubeconfig's client certificate, trusting its CA. */
import { Agent } from 'node:https';
import { readKubeconfig, type KubeconfigCredentials } from '../pki/kubeconfig.js';
import { AgentTransport } from './transport.js';

/**
 * A transport for the given server and credentials, with kept-alive connections. No connection limit by
 * default: every watch holds a connection for its whole life, and a cap would starve requests behind them.
 */
export function httpsTransport(creds: KubeconfigCredentials, opts: { maxSockets?: number } = {}): AgentTransport {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? Infinity, ca: creds.ca, cert: creds.cert, key: creds.key });
  return new AgentTransport(agent, { protocol: 'https:', host: creds.server.hostname, port: creds.server.port || '443' });
}

/** A transport for the current context of the kubeconfig at `path`. */
export function transportFromKubeconfig(path: string, opts: { maxSockets?: number } = {}): AgentTransport {
  return httpsTransport(readKubeconfig(path), opts);
}
