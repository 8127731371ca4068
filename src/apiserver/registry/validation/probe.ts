/**
 * Probes and lifecycle handlers (kube's validateProbe, validateHandler and the per-kind probe rules): exactly
 * one handler, valid ports, non-negative timings, and liveness/startup probes that succeed on one success.
 */
import { forbidden, invalid, list, nonNegative, notSupported, num, obj, required, str, type FieldError, type Fields } from './field.js';
import { portNumErrors, validatePortNumOrName } from './ports.js';

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const;

/** validateHandler: exactly one handler type, each checked; `allowed` narrows the types (lifecycle hooks have no grpc). */
export function validateHandler(handler: Fields, path: string, allowed: readonly string[] = HANDLERS): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const type of allowed) {
    const action = obj(handler[type]);
    if (!action) continue;
    if (count > 0) {
      errs.push(forbidden(`${path}.${type}`, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    const p = `${path}.${type}`;
    switch (type) {
      case 'exec':
        if (list(action.command).length === 0) errs.push(required(`${p}.command`, ''));
        break;
      case 'httpGet': {
        if (str(action.path) === '') errs.push(required(`${p}.path`, ''));
        errs.push(...validatePortNumOrName(action.port, `${p}.port`));
        const scheme = str(action.scheme);
        if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(notSupported(`${p}.scheme`, scheme, ['HTTP', 'HTTPS']));
        break;
      }
      case 'tcpSocket':
        errs.push(...validatePortNumOrName(action.port, `${p}.port`));
        break;
      case 'grpc': {
        const port = num(action.port) ?? 0;
        errs.push(...portNumErrors(port).map((m) => invalid(`${p}.port`, port, m)));
        break;
      }
      case 'sleep': {
        const seconds = num(action.seconds) ?? 0;
        if (seconds <= 0) errs.push(invalid(`${p}.seconds`, seconds, 'must be greater than 0'));
        break;
      }
    }
  }
  if (count === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

/** validateProbe: the handler, then each timing non-negative. */
export function validateProbe(probe: Fields, path: string): FieldError[] {
  const errs = validateHandler(probe, path);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(`${path}.${f}`, probe[f]));
  }
  const grace = num(probe.terminationGracePeriodSeconds);
  if (grace !== undefined && grace <= 0) errs.push(invalid(`${path}.terminationGracePeriodSeconds`, grace, 'must be greater than 0'));
  return errs;
}

/** A regular container's (or sidecar's) three probes with their kind-specific rules. */
export function validateContainerProbes(container: Fields, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const liveness = obj(container.livenessProbe);
  if (liveness) {
    errs.push(...validateProbe(liveness, `${path}.livenessProbe`));
    if ((num(liveness.successThreshold) ?? 0) !== 1) errs.push(invalid(`${path}.livenessProbe.successThreshold`, num(liveness.successThreshold) ?? 0, 'must be 1'));
  }
  const readiness = obj(container.readinessProbe);
  if (readiness) {
    errs.push(...validateProbe(readiness, `${path}.readinessProbe`));
    if (readiness.terminationGracePeriodSeconds !== undefined && readiness.terminationGracePeriodSeconds !== null)
      errs.push(invalid(`${path}.readinessProbe.terminationGracePeriodSeconds`, num(readiness.terminationGracePeriodSeconds) ?? null, 'must not be set for readinessProbes'));
  }
  const startup = obj(container.startupProbe);
  if (startup) {
    errs.push(...validateProbe(startup, `${path}.startupProbe`));
    if ((num(startup.successThreshold) ?? 0) !== 1) errs.push(invalid(`${path}.startupProbe.successThreshold`, num(startup.successThreshold) ?? 0, 'must be 1'));
  }
  const lifecycle = obj(container.lifecycle);
  for (const hook of ['postStart', 'preStop']) {
    const handler = obj(lifecycle?.[hook]);
    if (handler) errs.push(...validateHandler(handler, `${path}.lifecycle.${hook}`, ['exec', 'httpGet', 'tcpSocket', 'sleep']));
  }
  return errs;
}
