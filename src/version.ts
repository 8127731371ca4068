/** The k8ts release; the apiserver reports it in /version. */
export const K8TS_VERSION = '0.1.0';
