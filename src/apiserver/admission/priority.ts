/**
 * Priority: resolves a new pod's priorityClassName to spec.priority and spec.preemptionPolicy (the
 * globalDefault class, or priority 0, when it names none), refuses pods naming a class that does not exist or
 * setting a priority that disagrees with their class, and keeps PriorityClasses to one globalDefault.
 */
import { isFields } from '../registry/defaults/fields.js';
import type { StoredObject } from '../registry/strategy.js';
import { admissionForbidden, isResource, type AdmissionAttributes, type AdmissionPlugin, type ObjectReader } from './admission.js';

const PRIORITY_CLASSES = { group: 'scheduling.k8s.io', resource: 'priorityclasses' };

/** The classes kube-apiserver creates at start; they resolve even before they are stored. */
export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
] as const;

/** The priority of pods when no class is named and none is globalDefault. */
const DEFAULT_PRIORITY = 0;
const PREEMPT_LOWER_PRIORITY = 'PreemptLowerPriority';

interface Resolved {
  className: string;
  priority: number;
  preemptionPolicy: string;
}

function classOf(pc: StoredObject): Resolved {
  return {
    className: pc.metadata.name ?? '',
    priority: typeof pc.value === 'number' ? pc.value : 0,
    preemptionPolicy: typeof pc.preemptionPolicy === 'string' && pc.preemptionPolicy ? pc.preemptionPolicy : PREEMPT_LOWER_PRIORITY,
  };
}

export class Priority implements AdmissionPlugin {
  readonly name = 'Priority';

  constructor(private readonly objects: ObjectReader) {}

  async admit(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation !== 'CREATE' || !isResource(attrs, '', 'pods')) return;
    const obj = attrs.object;
    if (!obj) return;
    if (!isFields(obj.spec)) obj.spec = {};
    const spec = obj.spec as Record<string, unknown>;
    const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    await this.objects.fresh();
    const resolved = name ? this.lookup(name) : this.globalDefault();
    if (!resolved) throw admissionForbidden(attrs, `no PriorityClass with name ${name} was found`);
    if (typeof spec.priority === 'number' && spec.priority !== resolved.priority) {
      throw admissionForbidden(
        attrs,
        `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${resolved.priority} from the given PriorityClass name`,
      );
    }
    if (typeof spec.preemptionPolicy === 'string' && spec.preemptionPolicy && spec.preemptionPolicy !== resolved.preemptionPolicy) {
      throw admissionForbidden(
        attrs,
        `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${resolved.preemptionPolicy} from the given PriorityClass name`,
      );
    }
    if (resolved.className) spec.priorityClassName = resolved.className;
    spec.priority = resolved.priority;
    spec.preemptionPolicy = resolved.preemptionPolicy;
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    if (attrs.operation === 'DELETE' || !isResource(attrs, 'scheduling.k8s.io', 'priorityclasses')) return;
    const pc = attrs.object;
    if (pc?.globalDefault !== true) return;
    await this.objects.fresh();
    const other = this.objects.list(PRIORITY_CLASSES).find((c) => c.globalDefault === true && c.metadata.name !== pc.metadata.name);
    if (other) throw admissionForbidden(attrs, `PriorityClass ${other.metadata.name} is already marked as default. Only one default can exist`);
  }

  private lookup(name: string): Resolved | undefined {
    const pc = this.objects.get(PRIORITY_CLASSES, undefined, name);
    if (pc) return classOf(pc);
    const system = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
    return system ? { className: name, priority: system.value, preemptionPolicy: PREEMPT_LOWER_PRIORITY } : undefined;
  }

  /** The globalDefault class (the lowest value if several claim it), or priority 0. */
  private globalDefault(): Resolved {
    const defaults = this.objects.list(PRIORITY_CLASSES).filter((c) => c.globalDefault === true).map(classOf);
    defaults.sort((a, b) => a.priority - b.priority);
    return defaults[0] ?? { className: '', priority: DEFAULT_PRIORITY, preemptionPolicy: PREEMPT_LOWER_PRIORITY };
  }
}
