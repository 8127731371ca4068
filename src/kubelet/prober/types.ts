/**
 * The prober's vocabulary, in kube's words: the three probe types, the outcome of one probe action (kube's
 * `probe.Result`), the cached per-container result (kube's `results.Result`), and the events the manager
 * hands to the kubelet.
 */

/** Which of a container's probes: kube's `probeType`. */
export type ProbeType = 'liveness' | 'readiness' | 'startup';

/**
 * What one probe action answered (kube's `probe.Result`): `warning` counts as success but is reported
 * (a redirect the prober would not follow); `unknown` is a probe that could not run.
 */
export type ProbeActionResult = 'success' | 'warning' | 'failure' | 'unknown';

/** The answer of one probe handler (exec, httpGet, tcpSocket, grpc). */
export interface ProbeActionOutcome {
  result: ProbeActionResult;
  /** What the handler reports: the command's output, the HTTP body, or why it failed, in kube's wording. */
  output: string;
  /** Set when the probe could not be carried out at all (kube's `err`); such a result is retried, then dropped. */
  error?: Error;
}

/** The cached result of a probe for one container instance (kube's `results.Result`). */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/** An event the kubelet should record on the pod, as kube's prober records it (`Unhealthy`, `ProbeWarning`). */
export interface ProbeEvent {
  podUid: string;
  podName: string;
  namespace: string;
  containerName: string;
  containerId: string;
  probeType: ProbeType;
  type: 'Warning';
  reason: 'Unhealthy' | 'ProbeWarning';
  /** e.g. `Liveness probe failed: HTTP probe failed with statuscode: 500`. */
  message: string;
}

/** A probe's cached result changed for a container instance (past its success/failure threshold). */
export interface ProbeResultEvent {
  podUid: string;
  podName: string;
  namespace: string;
  containerName: string;
  containerId: string;
  probeType: ProbeType;
  result: 'success' | 'failure';
  /** The handler's output of the run that crossed the threshold ('' for a reset on a new container). */
  output: string;
  /** The event text of that run (`Readiness probe failed: ...`), '' when the run succeeded cleanly. */
  message: string;
}

/** The kubelet must kill (and, unless restartPolicy is Never, restart) a container that failed its probe. */
export interface ProbeKillRequest {
  podUid: string;
  podName: string;
  namespace: string;
  containerName: string;
  containerId: string;
  /** kube's containerKillReason. */
  reason: 'LivenessProbe' | 'StartupProbe';
  /** e.g. `Container web failed liveness probe, will be restarted`. */
  message: string;
  /** The probe's terminationGracePeriodSeconds when set, otherwise the pod's (default 30). */
  gracePeriodSeconds: number;
}

/** kube's `probeType.String()`: how event texts and the metric name the probe type. */
export function probeTypeTitle(t: ProbeType): 'Liveness' | 'Readiness' | 'Startup' {
  return t === 'liveness' ? 'Liveness' : t === 'readiness' ? 'Readiness' : 'Startup';
}
