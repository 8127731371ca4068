/** The kubelet's prober: liveness, readiness and startup probes (exec, httpGet, tcpSocket, grpc). */
export { ProbeManager, type ContainerIdLookup, type ProbeManagerEvents, type ProbeManagerOptions } from './manager.js';
export { probeContainer, runProbeAction, withProbeDefaults, type ProbeOutcome, type ProbeTarget } from './prober.js';
export type { ProbeEvent, ProbeKillRequest, ProbeResult, ProbeResultEvent, ProbeType } from './types.js';
