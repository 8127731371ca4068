/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): profiles selected by spec.schedulerName, each
 * with plugins enabled/disabled/weighted per extension point (or multiPoint) over kube's default set, plugin
 * args, and percentageOfNodesToScore. Parsed from the `--scheduler-config` YAML with the `yaml` package.
 */
import { parse } from 'yaml';

export const CONFIG_API_VERSION = 'kubescheduler.config.k8s.io/v1';
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** A plugin reference in a PluginSet. */
export interface PluginRef {
  name: string;
  weight?: number;
}

/** Enabled and disabled plugins of one extension point. */
export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

/** Plugins per extension point; multiPoint enables a plugin at every point it implements. */
export interface Plugins {
  multiPoint?: PluginSet;
  queueSort?: PluginSet;
  preEnqueue?: PluginSet;
  preFilter?: PluginSet;
  filter?: PluginSet;
  postFilter?: PluginSet;
  preScore?: PluginSet;
  score?: PluginSet;
  reserve?: PluginSet;
  permit?: PluginSet;
  preBind?: PluginSet;
  bind?: PluginSet;
  postBind?: PluginSet;
}

/** Args for one plugin. */
export interface PluginConfig {
  name: string;
  args?: Record<string, unknown>;
}

/** One scheduling profile (KubeSchedulerProfile). */
export interface Profile {
  schedulerName: string;
  percentageOfNodesToScore?: number;
  plugins?: Plugins;
  pluginConfig?: PluginConfig[];
}

/** The parts of KubeSchedulerConfiguration the scheduler honours. */
export interface KubeSchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  profiles?: Profile[];
}

/** kube's default plugins (v1 getDefaultPlugins): all through multiPoint, with the default score weights. */
export function defaultPlugins(): Plugins {
  return {
    multiPoint: {
      enabled: [
        { name: 'SchedulingGates' },
        { name: 'PrioritySort' },
        { name: 'NodeUnschedulable' },
        { name: 'NodeName' },
        { name: 'TaintToleration', weight: 3 },
        { name: 'NodeAffinity', weight: 2 },
        { name: 'NodePorts' },
        { name: 'NodeResourcesFit', weight: 1 },
        { name: 'PodTopologySpread', weight: 2 },
        { name: 'InterPodAffinity', weight: 2 },
        { name: 'DefaultPreemption' },
        { name: 'NodeResourcesBalancedAllocation', weight: 1 },
        { name: 'ImageLocality', weight: 1 },
        { name: 'DefaultBinder' },
      ],
    },
  };
}

/**
 * Merges a profile's plugins over the defaults, as kube's mergePlugins: per extension point, defaults not
 * disabled (a disabled "*" drops them all) keep their place, a custom plugin with a default's name replaces it
 * in place (new weight), other custom plugins are appended.
 */
export function mergePlugins(defaults: Plugins, custom: Plugins | undefined): Plugins {
  if (!custom) return defaults;
  const out: Plugins = {};
  const points = new Set([...Object.keys(defaults), ...Object.keys(custom)]) as Set<keyof Plugins>;
  for (const point of points) {
    const d = defaults[point] ?? {};
    const c = custom[point] ?? {};
    const disabled = new Set((c.disabled ?? []).map((p) => p.name));
    const customEnabled = new Map((c.enabled ?? []).map((p) => [p.name, p]));
    const enabled: PluginRef[] = [];
    for (const p of d.enabled ?? []) {
      if (disabled.has('*') || disabled.has(p.name)) continue;
      const replaced = customEnabled.get(p.name);
      enabled.push(replaced ?? p);
      customEnabled.delete(p.name);
    }
    enabled.push(...customEnabled.values());
    out[point] = { enabled, disabled: c.disabled ?? [] };
  }
  return out;
}

/** Raised for an invalid configuration, with kube's field path in the message. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function checkPercentage(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) throw new ConfigError(`${path}: Invalid value: ${JSON.stringify(v)}: not in valid range [0-100]`);
  return v;
}

function stripTypeMeta(args: unknown): Record<string, unknown> | undefined {
  if (!args || typeof args !== 'object') return undefined;
  const { apiVersion: _a, kind: _k, ...rest } = args as Record<string, unknown>;
  return rest;
}

/** Defaults and validates a configuration object, returning its profiles merged with kube's defaults. */
export function completeConfig(cfg: KubeSchedulerConfiguration = {}): Required<Pick<KubeSchedulerConfiguration, 'podInitialBackoffSeconds' | 'podMaxBackoffSeconds'>> & { percentageOfNodesToScore?: number; profiles: Profile[] } {
  if (cfg.apiVersion !== undefined && cfg.apiVersion !== CONFIG_API_VERSION) throw new ConfigError(`no kind "${cfg.kind ?? ''}" is registered for version "${cfg.apiVersion}"`);
  if (cfg.kind !== undefined && cfg.kind !== 'KubeSchedulerConfiguration') throw new ConfigError(`no kind "${cfg.kind}" is registered for version "${CONFIG_API_VERSION}"`);
  const pct = checkPercentage(cfg.percentageOfNodesToScore, 'percentageOfNodesToScore');
  const initial = cfg.podInitialBackoffSeconds ?? 1;
  const max = cfg.podMaxBackoffSeconds ?? 10;
  if (initial <= 0) throw new ConfigError('podInitialBackoffSeconds: Invalid value: must be greater than 0');
  if (max < initial) throw new ConfigError('podMaxBackoffSeconds: Invalid value: must be greater than or equal to PodInitialBackoffSeconds');
  const raw = cfg.profiles && cfg.profiles.length > 0 ? cfg.profiles : [{ schedulerName: DEFAULT_SCHEDULER_NAME }];
  const names = new Set<string>();
  const profiles = raw.map((p, i) => {
    const schedulerName = p.schedulerName || DEFAULT_SCHEDULER_NAME;
    if (names.has(schedulerName)) throw new ConfigError(`profiles[${i}].schedulerName: Duplicate value: "${schedulerName}"`);
    names.add(schedulerName);
    return {
      schedulerName,
      percentageOfNodesToScore: checkPercentage(p.percentageOfNodesToScore, `profiles[${i}].percentageOfNodesToScore`) ?? pct,
      plugins: mergePlugins(defaultPlugins(), p.plugins),
      pluginConfig: (p.pluginConfig ?? []).map((c) => ({ name: c.name, args: stripTypeMeta(c.args) })),
    };
  });
  return { percentageOfNodesToScore: pct, podInitialBackoffSeconds: initial, podMaxBackoffSeconds: max, profiles };
}

/** Parses a KubeSchedulerConfiguration YAML (or JSON) document. */
export function parseSchedulerConfig(text: string): ReturnType<typeof completeConfig> {
  const doc: unknown = parse(text);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('scheduler configuration must be an object');
  return completeConfig(doc as KubeSchedulerConfiguration);
}
