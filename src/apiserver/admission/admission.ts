/**
 * Admission: checks every write passes after decoding and before storage, in a fixed order (mutating, then
 * validating). Plugins implement one small interface and are registered in one list.
 */
import type { UserInfo } from '../auth/authenticator.js';
import type { ResourceInfo } from '../../api/registry.js';
import type { StoredObject } from '../registry/strategy.js';

export interface AdmissionAttributes {
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource: ResourceInfo;
  subresource: string;
  namespace: string;
  name: string;
  /** The object being written (absent on delete). */
  object?: StoredObject;
  user: UserInfo;
  dryRun: boolean;
}

export interface AdmissionPlugin {
  readonly name: string;
  /** Mutates the object in place; throws a StatusError to refuse. */
  admit?(attrs: AdmissionAttributes): void | Promise<void>;
  /** Refuses by throwing a StatusError; must not change anything. */
  validate?(attrs: AdmissionAttributes): void | Promise<void>;
}

/** Runs every plugin's admit, then every plugin's validate. */
export class AdmissionChain {
  constructor(private readonly plugins: readonly AdmissionPlugin[]) {}

  async run(attrs: AdmissionAttributes): Promise<void> {
    for (const p of this.plugins) await p.admit?.(attrs);
    for (const p of this.plugins) await p.validate?.(attrs);
  }
}
