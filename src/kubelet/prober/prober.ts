/**
 * One probe of one container (kube's prober.probe): run the probe's handler, retrying up to three times
 * only when the handler could not run at all, and turn its answer into the cached result plus the event kube
 * records (`Liveness probe failed: ...`, `Readiness probe warning: ...`, `... probe errored and resulted
 * in unknown state: ...`).
 */
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { RuntimeService } from '../cri/types.js';
import { expandCommand, probeExec } from './exec.js';
import { probeGRPC } from './grpc.js';
import { newProbeRequest, probeHTTP } from './http.js';
import { resolveContainerPort } from './ports.js';
import { probeTCP } from './tcp.js';
import { probeTypeTitle, type ProbeActionOutcome, type ProbeType } from './types.js';

/** How often a probe that errored is retried before its result is thrown away (kube's maxProbeRetries). */
export const MAX_PROBE_RETRIES = 3;

/** A probe with the API's defaults filled in, for a pod that reached the node without them. */
export interface EffectiveProbe extends Probe {
  initialDelaySeconds: number;
  timeoutSeconds: number;
  periodSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

/** The API's defaults for a probe (SetDefaults_Probe); liveness and startup need successThreshold 1. */
export function withProbeDefaults(probe: Probe): EffectiveProbe {
  return {
    ...probe,
    initialDelaySeconds: probe.initialDelaySeconds ?? 0,
    timeoutSeconds: probe.timeoutSeconds || 1,
    periodSeconds: probe.periodSeconds || 10,
    successThreshold: probe.successThreshold || 1,
    failureThreshold: probe.failureThreshold || 3,
  };
}

/** What to probe: the container instance and where the pod answers. */
export interface ProbeTarget {
  pod: Pod;
  container: Container;
  containerId: string;
  podIP: string;
}

/** The result of one probe as the worker sees it. */
export interface ProbeOutcome {
  result: 'success' | 'failure';
  output: string;
  /** The event to record for this run, if any (failures, warnings and errors). */
  event?: { reason: 'Unhealthy' | 'ProbeWarning'; message: string };
  /** The handler could not run: the worker drops this result instead of counting it. */
  error?: Error;
}

/** Runs one probe's handler once (kube's runProbe). */
export async function runProbeAction(
  probe: Probe,
  target: ProbeTarget,
  runtime: Pick<RuntimeService, 'execSync'>,
): Promise<ProbeActionOutcome> {
  const timeoutSeconds = probe.timeoutSeconds || 1;
  try {
    if (probe.exec) {
      const command = expandCommand(probe.exec.command ?? [], target.container.env);
      return await probeExec(runtime, target.containerId, command, timeoutSeconds);
    }
    if (probe.httpGet) {
      return await probeHTTP(newProbeRequest(probe.httpGet, target.container, target.podIP), timeoutSeconds);
    }
    if (probe.tcpSocket) {
      const port = resolveContainerPort(probe.tcpSocket.port, target.container);
      return await probeTCP(probe.tcpSocket.host || target.podIP, port, timeoutSeconds);
    }
    if (probe.grpc) {
      const port = resolveContainerPort(probe.grpc.port, target.container);
      return await probeGRPC(target.podIP, port, probe.grpc.service ?? '', timeoutSeconds);
    }
  } catch (err) {
    return { result: 'unknown', output: '', error: err instanceof Error ? err : new Error(String(err)) };
  }
  const pod = `${target.pod.metadata?.name ?? ''}_${target.pod.metadata?.namespace ?? ''}(${target.pod.metadata?.uid ?? ''})`;
  return { result: 'unknown', output: '', error: new Error(`missing probe handler for ${pod}:${target.container.name}`) };
}

/** Runs a probe of the given type and words its outcome as kube does. */
export async function probeContainer(
  probeType: ProbeType,
  probe: Probe,
  target: ProbeTarget,
  runtime: Pick<RuntimeService, 'execSync'>,
): Promise<ProbeOutcome> {
  let outcome: ProbeActionOutcome = { result: 'unknown', output: '' };
  for (let i = 0; i < MAX_PROBE_RETRIES; i++) {
    outcome = await runProbeAction(probe, target, runtime);
    if (!outcome.error) break;
  }
  const title = probeTypeTitle(probeType);
  if (outcome.error) {
    return {
      result: 'failure',
      output: outcome.output,
      error: outcome.error,
      event: {
        reason: 'Unhealthy',
        message: `${title} probe errored and resulted in ${outcome.result} state: ${outcome.error.message}`,
      },
    };
  }
  switch (outcome.result) {
    case 'success':
      return { result: 'success', output: outcome.output };
    case 'warning':
      return {
        result: 'success',
        output: outcome.output,
        event: { reason: 'ProbeWarning', message: `${title} probe warning: ${outcome.output}` },
      };
    case 'failure':
      return {
        result: 'failure',
        output: outcome.output,
        event: { reason: 'Unhealthy', message: `${title} probe failed: ${outcome.output}` },
      };
    default:
      // Unknown without an error: kube counts it as a failure and records nothing.
      return { result: 'failure', output: outcome.output };
  }
}
