/**
 * networking.k8s.io/v1 Ingress and NetworkPolicy (kube's pkg/apis/networking/validation): rules or a default
 * backend, hosts that are DNS names, paths with a type, backends naming a service and one port; policy
 * selectors, ports and peers.
 */
import { isIP } from 'node:net';
import { isDNS1035Label, isDNS1123Subdomain } from '../../../apimachinery/names.js';
import { forbidden, invalid, invalidEach, list, notSupported, num, obj, objects, rendered, required, str, type FieldError, type Fields } from './field.js';
import { portNameErrors, portNumErrors } from './ports.js';
import { validateLabelSelector } from './selector.js';

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];

/** IsWildcardDNS1123Subdomain: `*.` and a DNS subdomain. */
function wildcardSubdomainErrors(host: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(host) > 253) errs.push('must be no more than 253 characters');
  if (!host.startsWith('*.') || isDNS1123Subdomain(host.slice(2)).length > 0) {
    errs.push(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

/** validateIngressBackend: a service (named, with one port) or a resource, not both. */
function validateBackend(backend: Fields, path: string): FieldError[] {
  const service = obj(backend.service);
  const resource = obj(backend.resource);
  if (service && resource) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (resource) {
    const errs: FieldError[] = [];
    if (str(resource.kind) === '') errs.push(required(`${path}.resource.kind`, ''));
    if (str(resource.name) === '') errs.push(required(`${path}.resource.name`, ''));
    return errs;
  }
  if (!service) return [invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = str(service.name);
  if (name === '') errs.push(required(`${path}.service.name`, ''));
  else errs.push(...invalidEach(`${path}.service.name`, name, isDNS1035Label(name)));
  const port = obj(service.port) ?? {};
  const portName = str(port.name);
  const portNumber = num(port.number) ?? 0;
  if (portName !== '' && portNumber !== 0) errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (portName !== '') errs.push(...invalidEach(`${path}.service.port.name`, portName, portNameErrors(portName)));
  else if (portNumber !== 0) errs.push(...portNumErrors(portNumber).map((m) => invalid(`${path}.service.port.number`, portNumber, m)));
  else errs.push(required(path, 'port name or number is required'));
  return errs;
}

/** validateHTTPIngressPath. */
function validatePath(p: Fields, path: string): FieldError[] {
  const type = p.pathType;
  if (type === undefined || type === null) return [required(`${path}.pathType`, 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = str(p.path);
  if (type === 'Exact' || type === 'Prefix') {
    if (!value.startsWith('/')) errs.push(invalid(`${path}.path`, value, 'must be an absolute path'));
    if (value !== '') {
      for (const seq of ['//', '/./', '/../', '%2f', '%2F']) if (value.includes(seq)) errs.push(invalid(`${path}.path`, value, `must not contain '${seq}'`));
      for (const suffix of ['/..', '/.']) if (value.endsWith(suffix)) errs.push(invalid(`${path}.path`, value, `cannot end with '${suffix}'`));
    }
  } else if (type === 'ImplementationSpecific') {
    if (value !== '' && !value.startsWith('/')) errs.push(invalid(`${path}.path`, value, 'must be an absolute path'));
  } else {
    errs.push(notSupported(`${path}.pathType`, str(type), PATH_TYPES));
  }
  errs.push(...validateBackend(obj(p.backend) ?? {}, `${path}.backend`));
  return errs;
}

/** ValidateIngressSpec. */
export function validateIngress(ing: Fields): FieldError[] {
  const spec = obj(ing.spec) ?? {};
  const errs: FieldError[] = [];
  const rules = objects(spec.rules);
  const defaultBackend = obj(spec.defaultBackend);
  if (rules.length === 0 && !defaultBackend) {
    errs.push(invalid('spec', rendered(Array.isArray(spec.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)'), 'either `defaultBackend` or `rules` must be specified'));
  }
  if (defaultBackend) errs.push(...validateBackend(defaultBackend, 'spec.defaultBackend'));
  for (const [i, rule] of rules) {
    const host = str(rule.host);
    if (host !== '') {
      if (isIP(host) !== 0) errs.push(invalid(`spec.rules[${i}].host`, host, 'must be a DNS name, not an IP address'));
      if (host.includes('*')) {
        errs.push(...invalidEach(`spec.rules[${i}].host`, host, wildcardSubdomainErrors(host)));
      } else errs.push(...invalidEach(`spec.rules[${i}].host`, host, isDNS1123Subdomain(host)));
    }
    const http = obj(rule.http);
    if (http) {
      const paths = objects(http.paths);
      if (paths.length === 0) errs.push(required(`spec.rules[${i}].http.paths`, ''));
      for (const [j, p] of paths) errs.push(...validatePath(p, `spec.rules[${i}].http.paths[${j}]`));
    }
  }
  const className = str(spec.ingressClassName);
  if (spec.ingressClassName !== undefined && spec.ingressClassName !== null) errs.push(...invalidEach('spec.ingressClassName', className, isDNS1123Subdomain(className)));
  return errs;
}

/** ValidateNetworkPolicyPort. */
function validatePolicyPort(port: Fields, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const protocol = port.protocol;
  if (protocol !== undefined && protocol !== null && !['TCP', 'UDP', 'SCTP'].includes(str(protocol))) {
    errs.push(notSupported(`${path}.protocol`, str(protocol), ['TCP', 'UDP', 'SCTP']));
  }
  const endPort = num(port.endPort);
  if (typeof port.port === 'number') {
    errs.push(...portNumErrors(port.port).map((m) => invalid(`${path}.port`, port.port as number, m)));
    if (endPort !== undefined) {
      if (endPort < port.port) errs.push(invalid(`${path}.endPort`, port.port, 'must be greater than or equal to `port`'));
      errs.push(...portNumErrors(endPort).map((m) => invalid(`${path}.endPort`, endPort, m)));
    }
  } else if (typeof port.port === 'string') {
    if (endPort !== undefined) errs.push(invalid(`${path}.endPort`, endPort, 'may not be specified when `port` is non-numeric'));
    errs.push(...invalidEach(`${path}.port`, port.port, portNameErrors(port.port)));
  } else if (endPort !== undefined) {
    errs.push(invalid(`${path}.endPort`, endPort, 'may not be specified when `port` is not specified'));
  }
  return errs;
}

/** ValidateNetworkPolicyPeer: exactly one kind of peer, an ipBlock alone. */
function validatePeer(peer: Fields, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  for (const sel of ['podSelector', 'namespaceSelector']) {
    const s = obj(peer[sel]);
    if (!s) continue;
    peers++;
    errs.push(...validateLabelSelector(s, `${path}.${sel}`));
  }
  const ipBlock = obj(peer.ipBlock);
  if (ipBlock) {
    peers++;
    const cidr = str(ipBlock.cidr);
    if (cidr === '') errs.push(required(`${path}.ipBlock.cidr`, ''));
    else if (!isCIDR(cidr)) errs.push(invalid(`${path}.ipBlock.cidr`, cidr, `invalid CIDR address: ${cidr}`));
    for (const [i, e] of list(ipBlock.except).entries()) {
      if (!isCIDR(String(e))) errs.push(invalid(`${path}.ipBlock.except[${i}]`, String(e), `invalid CIDR address: ${String(e)}`));
    }
  }
  if (peers === 0) errs.push(required(path, 'must specify a peer'));
  else if (peers > 1 && ipBlock) errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

function isCIDR(s: string): boolean {
  const [ip, bits, ...rest] = s.split('/');
  if (rest.length > 0 || bits === undefined || !/^\d+$/.test(bits)) return false;
  const family = isIP(ip ?? '');
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

/** ValidateNetworkPolicySpec. */
export function validateNetworkPolicy(np: Fields): FieldError[] {
  const spec = obj(np.spec) ?? {};
  const errs = validateLabelSelector(obj(spec.podSelector), 'spec.podSelector');
  for (const [dir, peerField] of [['ingress', 'from'], ['egress', 'to']] as const) {
    for (const [i, rule] of objects(spec[dir])) {
      for (const [j, port] of objects(rule.ports)) errs.push(...validatePolicyPort(port, `spec.${dir}[${i}].ports[${j}]`));
      for (const [j, peer] of objects(rule[peerField])) errs.push(...validatePeer(peer, `spec.${dir}[${i}].${peerField}[${j}]`));
    }
  }
  const types = list(spec.policyTypes).map(String);
  if (types.length > 2) {
    errs.push(invalid('spec.policyTypes', rendered(`&[]networking.PolicyType{${types.map((t) => JSON.stringify(t)).join(', ')}}`), 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(`spec.policyTypes[${i}]`, t, ['Ingress', 'Egress']));
  });
  return errs;
}
