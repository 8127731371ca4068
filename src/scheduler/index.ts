/**
 * The scheduler's public surface for the wiring layer (informers in, pods/binding out) and for tools.
 */
export { Scheduler, nodeUpdateAction, podUpdateAction, type SchedulerOptions, type SchedulingFailure } from './scheduler.js';
export { parseSchedulerConfig, completeConfig, defaultPlugins, ConfigError, DEFAULT_SCHEDULER_NAME, type KubeSchedulerConfiguration, type Profile } from './config.js';
export { ActionType, Code, Status, CycleState, type Binder, type ClusterListers, type PostFilterResult, type PluginFactory, type EventResource } from './framework.js';
export { prometheusSchedulerMetrics, noopMetrics, type SchedulerMetrics } from './metrics.js';
export { inTreeRegistry } from './plugins/registry.js';
export { FitError, fitErrorMessage } from './fit-error.js';
export { bindingFor, unschedulableCondition } from './reporting.js';
