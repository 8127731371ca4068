/**
 * v1 Service (kube's ValidateService / ValidateServiceUpdate): type, ports (named when several, unique names
 * and port/protocol pairs, valid numbers and target ports), selector labels, session affinity, ExternalName
 * requirements, and a cluster IP that never changes once set.
 */
import { isIP } from 'node:net';
import { isDNS1123Label, isDNS1123Subdomain, validateLabels } from '../../../apimachinery/names.js';
import { duplicate, forbidden, goStrings, invalid, invalidEach, list, notSupported, num, obj, objects, rendered, required, str, stringMap, type FieldError, type Fields } from './field.js';
import { portNumErrors, PROTOCOLS, validatePortNumOrName } from './ports.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

/** `core.ServicePort{...}` as Go's %#v prints the key kube reports a duplicate port/protocol pair with. */
function servicePortKey(port: number, protocol: string): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

/** ValidateService (create and update alike). */
export function validateService(svc: Fields): FieldError[] {
  const spec = obj(svc.spec) ?? {};
  const errs: FieldError[] = [];
  const type = str(spec.type);
  const headless = str(spec.clusterIP) === 'None';
  const ports = objects(spec.ports);

  if (type === 'ExternalName') {
    if (str(spec.clusterIP) !== '') errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const externalName = str(spec.externalName).replace(/\.$/, '');
    if (externalName === '') errs.push(required('spec.externalName', ''));
    else errs.push(...invalidEach('spec.externalName', str(spec.externalName), isDNS1123Subdomain(externalName)));
  }
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports', ''));

  const names = new Set<string>();
  const requireName = ports.length > 1;
  for (const [i, p] of ports) {
    const path = `spec.ports[${i}]`;
    const name = str(p.name);
    if (requireName && name === '') errs.push(required(`${path}.name`, ''));
    else if (name !== '') {
      errs.push(...invalidEach(`${path}.name`, name, isDNS1123Label(name)));
      if (names.has(name)) errs.push(duplicate(`${path}.name`, name));
      else names.add(name);
    }
    const port = num(p.port) ?? 0;
    errs.push(...portNumErrors(port).map((m) => invalid(`${path}.port`, port, m)));
    const protocol = str(p.protocol);
    if (protocol === '') errs.push(required(`${path}.protocol`, ''));
    else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(`${path}.protocol`, protocol, PROTOCOLS));
    errs.push(...validatePortNumOrName(p.targetPort, `${path}.targetPort`));
  }

  if (type === '') errs.push(required('spec.type', ''));
  else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ClusterIP') {
    for (const [i, p] of ports) {
      if ((num(p.nodePort) ?? 0) !== 0) errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    }
  }
  const seen = new Set<string>();
  for (const [i, p] of ports) {
    const key = `${str(p.protocol)}/${num(p.port) ?? 0}`;
    if (seen.has(key)) errs.push(duplicate(`spec.ports[${i}]`, rendered(servicePortKey(num(p.port) ?? 0, str(p.protocol)))));
    seen.add(key);
  }

  errs.push(...validateLabels(stringMap(spec.selector), 'spec.selector'));
  const affinity = str(spec.sessionAffinity);
  if (affinity === '') errs.push(required('spec.sessionAffinity', ''));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));

  const clusterIP = str(spec.clusterIP);
  if (clusterIP !== '' && clusterIP !== 'None' && type !== 'ExternalName' && isIP(clusterIP) === 0) {
    errs.push(invalid('spec.clusterIPs[0]', clusterIP, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  }
  for (const [i, ip] of list(spec.externalIPs).entries()) {
    if (isIP(String(ip)) === 0) errs.push(invalid(`spec.externalIPs[${i}]`, String(ip), 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  }
  return errs;
}

/** The cluster IPs an object asks for: clusterIPs, led by clusterIP when the user changed only that. */
function clusterIPs(spec: Fields, oldSpec?: Fields): string[] {
  const ips = list(spec.clusterIPs).map(String);
  const ip = str(spec.clusterIP);
  if (ips.length === 0) return ip ? [ip] : [];
  // kube normalizes a changed clusterIP into clusterIPs[0] before validating (a PATCH of clusterIP alone).
  if (oldSpec && ip && ip !== ips[0] && list(oldSpec.clusterIPs).map(String)[0] === ips[0]) return [ip, ...ips.slice(1)];
  return ips;
}

/** validateUpgradeDowngradeClusterIPs: a set cluster IP may not change (unless to or from ExternalName). */
export function validateServiceUpdate(svc: Fields, old: Fields): FieldError[] {
  const errs = validateService(svc);
  const spec = obj(svc.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  if (str(spec.type) === 'ExternalName' || str(oldSpec.type) === 'ExternalName') return errs;
  if (str(spec.clusterIP) === 'None' && str(oldSpec.clusterIP) === 'None') return errs;
  const next = clusterIPs(spec, oldSpec);
  const prev = clusterIPs(oldSpec);
  if (prev.length === next.length) {
    prev.forEach((ip, i) => {
      if (ip !== next[i]) errs.push(invalid(`spec.clusterIPs[${i}]`, goStrings(next), 'may not change once set'));
    });
  } else if (prev.length > next.length) {
    if (next.length === 0) errs.push(invalid('spec.clusterIPs[0]', goStrings(next), 'primary clusterIP can not be unset'));
    else if (next[0] !== prev[0]) errs.push(invalid('spec.clusterIPs[0]', goStrings(next), 'may not change once set'));
  } else if (prev.length > 0 && next[0] !== prev[0]) {
    errs.push(invalid('spec.clusterIPs[0]', goStrings(next), 'may not change once set'));
  }
  return errs;
}
