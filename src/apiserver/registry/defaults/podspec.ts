/**
 * Kubernetes' defaulting of a pod spec, shared by every kind that embeds one (Pod, PodTemplate, the workload
 * controllers' templates, CronJob's job template): SetDefaults_PodSpec, _Container, _Probe, _Volume and
 * friends. What only a Pod gets (requests from limits, enableServiceLinks, host-network ports) is in
 * `defaultPodOnly`; what admission adds (service account, priority) is in src/apiserver/admission/.
 */
import { child, ensure, isFields, items, setDefault, setDefaultString, type Fields } from './fields.js';
import { defaultFieldRef, defaultVolume } from './volumes.js';

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/**
 * The pull policy kube gives an image: Always for `:latest` or no tag (unless pinned by digest only), else
 * IfNotPresent — as SetDefaults_Container does with the tag the image name parses to.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image === '') return 'IfNotPresent';
  const at = image.indexOf('@');
  const named = at >= 0 ? image.slice(0, at) : image;
  const lastPart = named.slice(named.lastIndexOf('/') + 1);
  const colon = lastPart.indexOf(':');
  const tag = colon >= 0 ? lastPart.slice(colon + 1) : at >= 0 ? '' : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** httpGet's path `/` and scheme HTTP, in probes and lifecycle hooks alike. */
function defaultHandler(handler: Fields | undefined): void {
  if (!handler) return;
  const httpGet = child(handler, 'httpGet');
  if (httpGet) {
    setDefaultString(httpGet, 'path', '/');
    setDefaultString(httpGet, 'scheme', 'HTTP');
  }
  const grpc = child(handler, 'grpc');
  if (grpc) setDefault(grpc, 'service', '');
}

function defaultProbe(probe: Fields | undefined): void {
  if (!probe) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  defaultHandler(probe);
}

function defaultContainer(container: Fields): void {
  setDefaultString(container, 'imagePullPolicy', defaultPullPolicy(typeof container.image === 'string' ? container.image : ''));
  setDefaultString(container, 'terminationMessagePath', '/dev/termination-log');
  setDefaultString(container, 'terminationMessagePolicy', 'File');
  for (const port of items(container, 'ports')) setDefaultString(port, 'protocol', 'TCP');
  for (const name of PROBES) defaultProbe(child(container, name));
  const lifecycle = child(container, 'lifecycle');
  if (lifecycle) for (const hook of ['postStart', 'preStop']) defaultHandler(child(lifecycle, hook));
  for (const env of items(container, 'env')) defaultFieldRef(child(child(env, 'valueFrom') ?? {}, 'fieldRef'));
}

/**
 * Defaults a pod spec in place (a Pod's, or a template's): restart and DNS policy, grace period, scheduler,
 * an empty securityContext, and each container's and volume's defaults. Idempotent; never overwrites.
 */
export function defaultPodSpec(spec: Fields | undefined): void {
  if (!spec) return;
  setDefaultString(spec, 'dnsPolicy', 'ClusterFirst');
  setDefaultString(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefaultString(spec, 'schedulerName', 'default-scheduler');
  // v1's serviceAccount is the deprecated alias of serviceAccountName; kube serves both, the new one winning.
  const account = nonEmpty(spec.serviceAccountName) ?? nonEmpty(spec.serviceAccount);
  if (account) {
    spec.serviceAccountName = account;
    spec.serviceAccount = account;
  }
  for (const list of CONTAINER_LISTS) for (const container of items(spec, list)) defaultContainer(container);
  for (const volume of items(spec, 'volumes')) defaultVolume(volume);
}

/** A pod template's spec (`template.spec`), if the template is there. */
export function defaultTemplate(template: unknown): void {
  if (isFields(template)) defaultPodSpec(child(template, 'spec'));
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * What kube defaults on a Pod but not on a template (SetDefaults_Pod): requests copied from limits where a
 * container sets only limits, enableServiceLinks, and hostPort = containerPort on the host network.
 */
export function defaultPodOnly(spec: Fields | undefined): void {
  if (!spec) return;
  for (const list of ['containers', 'initContainers']) {
    for (const container of items(spec, list)) {
      const resources = child(container, 'resources');
      const limits = resources && child(resources, 'limits');
      if (!resources || !limits) continue;
      const requests = ensure(resources, 'requests');
      for (const [name, quantity] of Object.entries(limits)) if (!(name in requests)) requests[name] = quantity;
    }
  }
  setDefault(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const list of ['containers', 'initContainers']) {
      for (const container of items(spec, list)) {
        for (const port of items(container, 'ports')) {
          if (port.hostPort === undefined || port.hostPort === null || port.hostPort === 0) port.hostPort = port.containerPort;
        }
      }
    }
  }
}
