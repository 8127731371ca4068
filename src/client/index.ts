/**
 * The client machinery (client-go's equivalent), in one import: the client and its transports, errors,
 * discovery, shared informers, indexers and listers, the rate-limited work queue, the controller shape and
 * leader election.
 */
export { Client, ResourceClient, groupVersionPath } from './client.js';
export { AgentTransport, type Transport, type TransportRequest, type TransportResponse } from './transport.js';
export { httpsTransport, transportFromKubeconfig } from './https-transport.js';
export { inProcessTransport, type LoopbackServer } from './in-process-transport.js';
export * from './errors.js';
export * from './types.js';
export * from './resources.js';
export { Discovery, RESTMapper, type DiscoveredResource } from './discovery.js';
export { Watch } from './watch.js';
export { Indexer, metaNamespaceKey, splitMetaNamespaceKey, NAMESPACE_INDEX, OWNER_UID_INDEX, namespaceIndexFunc, ownerUIDIndexFunc, type IndexFunc } from './indexer.js';
export { Lister, NamespaceLister } from './lister.js';
export { SharedInformer, type InformerOptions, type ResourceEventHandler } from './informer.js';
export { SharedInformerFactory, type InformerFilter } from './informer-factory.js';
export * from './rate-limiter.js';
export { WorkQueue, DelayingQueue, RateLimitingQueue } from './workqueue.js';
export { Controller, type ControllerOptions } from './controller.js';
export { LeaderElector, type LeaderElectionConfig } from './leader-election.js';
