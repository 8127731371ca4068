/**
 * Port numbers, IANA port names and protocols (kube's IsValidPortNum, IsValidPortName, validateProtocol), and a
 * container's port list (validateContainerPorts) with kube's host-port uniqueness across a pod.
 */
import { duplicate, inclusiveRange, invalid, notSupported, objects, required, str, type FieldError } from './field.js';

/** kube's supported port protocols, in the (sorted) order its messages list them. */
export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** IsValidPortNum: 1-65535. */
export function portNumErrors(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRange(1, 65535)];
}

/** IsValidPortName: an IANA_SVC_NAME (at most 15 characters, a-z0-9 and '-', at least one letter). */
export function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.length > 0 && (name.startsWith('-') || name.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** validatePortNumOrName: an int-or-string port, as probes, services' targetPort and network policies use. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return portNumErrors(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return portNameErrors(port).map((m) => invalid(path, port, m));
  return [invalid(path, null, 'must be an int or a string')];
}

/** validateProtocol: required, and one of kube's three. */
export function validateProtocol(protocol: unknown, path: string): FieldError[] {
  const p = str(protocol);
  if (p === '') return [required(path, '')];
  return PROTOCOLS.includes(p) ? [] : [notSupported(path, p, PROTOCOLS)];
}

/** validateContainerPorts: names unique and IANA-valid, containerPort required and valid, hostPort valid. */
export function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [i, port] of objects(ports)) {
    const p = `${path}[${i}]`;
    const name = str(port.name);
    if (name !== '') {
      errs.push(...portNameErrors(name).map((m) => invalid(`${p}.name`, name, m)));
      if (names.has(name)) errs.push(duplicate(`${p}.name`, name));
      else names.add(name);
    }
    const containerPort = typeof port.containerPort === 'number' ? port.containerPort : 0;
    if (containerPort === 0) errs.push(required(`${p}.containerPort`, ''));
    else errs.push(...portNumErrors(containerPort).map((m) => invalid(`${p}.containerPort`, containerPort, m)));
    const hostPort = typeof port.hostPort === 'number' ? port.hostPort : 0;
    if (hostPort !== 0) errs.push(...portNumErrors(hostPort).map((m) => invalid(`${p}.hostPort`, hostPort, m)));
    errs.push(...validateProtocol(port.protocol, `${p}.protocol`));
  }
  return errs;
}
