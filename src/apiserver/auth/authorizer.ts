/**
 * Authorization: may this user do this. One interface so RBAC slots in later; today every authenticated
 * user may do everything.
 */
import type { UserInfo } from './authenticator.js';

/** The attributes a decision is made on, as in Kubernetes' authorizer.Attributes. */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path?: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

export interface Authorizer {
  authorize(attrs: AuthorizationAttributes): Decision | Promise<Decision>;
}

/** Allows every request (the mode until RBAC lands). */
export class AlwaysAllowAuthorizer implements Authorizer {
  authorize(): Decision {
    return { allowed: true };
  }
}
