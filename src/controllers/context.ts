/**
 * What every controller is given (kube's ControllerContext): the client, the shared informers, discovery,
 * a logger and the cluster facts some controllers publish; and the two-step shape the manager drives.
 */
import type { Logger } from 'pino';
import type { Client } from '../client/client.js';
import type { Discovery } from '../client/discovery.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';

export interface ControllerContext {
  client: Client;
  informers: SharedInformerFactory;
  discovery: Discovery;
  logger: Logger;
  /** The cluster CA certificate (PEM) that kube-root-ca.crt publishes. */
  rootCA: string;
  /** `--service-account-private-key-file` (PEM): what the token controller signs legacy tokens with. */
  serviceAccountPrivateKey?: string;
  /** `--node-monitor-grace-period`: how long a node may go without a heartbeat before it is Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** `--terminated-pod-gc-threshold`: terminated pods kept before the pod GC deletes the oldest (default 12500; 0 off). */
  terminatedPodGCThreshold?: number;
}

/** A controller the manager starts: `init` asks for informers, `run` starts work once they have synced. */
export interface ManagedController {
  readonly name: string;
  /** Registers informers and handlers (before the factory starts). */
  init(): Promise<void>;
  /** Waits for its informers' caches, then starts its workers. */
  run(): Promise<void>;
  stop(): Promise<void>;
}
