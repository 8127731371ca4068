/** The k8ts release; the apiserver reports it in /version. */
export const K8TS_VERSION = '0.1.0';

/** The Kubernetes version k8ts speaks (its API and its components' behaviour). */
export const KUBERNETES_VERSION = { major: '1', minor: '32', patch: '0' };
