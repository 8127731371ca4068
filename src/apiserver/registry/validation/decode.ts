/**
 * Where kube fails earlier than validation: a quantity that does not parse makes its JSON decoder reject the
 * whole body with a 400 (`Pod in version "v1" cannot be handled as a Pod: quantities must match ...`). Our
 * bodies arrive as plain JSON, so the validators find bad quantities; this wrapper gives them kube's answer.
 */
import type { StatusCause } from 'kubernetes-types/meta/v1.js';
import { badRequest } from '../../../apimachinery/status.js';
import type { StoredObject } from '../strategy.js';
import { QuantityDecodeError } from './resources.js';

/** kube's message for a body its decoder could not turn into the kind. */
function cannotBeHandled(obj: StoredObject, why: string): Error {
  const kind = obj.kind ?? 'Object';
  const apiVersion = obj.apiVersion ?? 'v1';
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  return badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${why}`);
}

/** Wraps a validate hook so an undecodable quantity becomes kube's 400 instead of a cause. */
export function decoding<A extends unknown[]>(validate: (obj: StoredObject, ...rest: A) => StatusCause[]): (obj: StoredObject, ...rest: A) => StatusCause[] {
  return (obj, ...rest) => {
    try {
      return validate(obj, ...rest);
    } catch (err) {
      if (err instanceof QuantityDecodeError) throw cannotBeHandled(obj, err.message);
      throw err;
    }
  };
}
