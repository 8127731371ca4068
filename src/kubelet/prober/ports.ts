/** Probe ports: a number, or the name of one of the container's ports (kube's probe.ResolveContainerPort). */
import type { Container } from 'kubernetes-types/core/v1.js';

/** The port number a probe's `port` designates; throws with kube's message when it does not resolve. */
export function resolveContainerPort(port: number | string, container: Container): number {
  let n: number;
  if (typeof port === 'number') {
    n = port;
  } else {
    const named = (container.ports ?? []).find((p) => p.name === port);
    if (!named) throw new Error(`port ${JSON.stringify(port)} not found`);
    n = named.containerPort;
  }
  if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  throw new Error(`invalid port number: ${n}`);
}
