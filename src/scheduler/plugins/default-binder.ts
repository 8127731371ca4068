/**
 * DefaultBinder (Bind): writes the binding through the injected Binder (pods/binding once wired to the API).
 */
import { asStatus, type BindPlugin, type CycleState, type Handle, type Result } from '../framework.js';
import type { PodInfo } from '../pod-info.js';

export const NAME = 'DefaultBinder';

/** Binds pods via the handle's Binder. */
export class DefaultBinder implements BindPlugin {
  readonly name = NAME;
  constructor(private readonly handle: Handle) {}

  async bind(_state: CycleState, pod: PodInfo, nodeName: string): Promise<Result> {
    if (!this.handle.binder) return asStatus(new Error('no binder configured'));
    try {
      await this.handle.binder.bind(pod.pod, nodeName);
      return undefined;
    } catch (err) {
      return asStatus(err);
    }
  }
}
