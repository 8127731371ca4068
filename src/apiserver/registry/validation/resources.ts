/**
 * Resource lists and requirements (kube's ValidateResourceRequirements, ValidateResourceQuantityValue):
 * resource names, non-negative quantities, and requests no greater than limits — compared exactly and quoted
 * in kube's canonical quantity form (`requests: Invalid value: "2": must be less than or equal to cpu limit of 1`).
 *
 * A string that is no quantity at all never reaches kube's validation: its JSON decoder rejects the body with
 * a 400. `QuantityDecodeError` carries that to the strategy, which answers the same way (see decode.ts).
 */
import { parseQuantity, QuantityError, type Quantity } from '../../../apimachinery/quantity.js';
import { isQualifiedName } from '../../../apimachinery/names.js';
import { invalid, IS_NEGATIVE, obj, required, type FieldError, type Fields } from './field.js';

/** A quantity in the object failed to decode; the strategy turns it into kube's 400 for an undecodable body. */
export class QuantityDecodeError extends Error {
  override readonly name = 'QuantityDecodeError';
}

/** Decodes a quantity as kube's JSON decoder would (numbers and strings), or throws QuantityDecodeError. */
export function decodeQuantity(value: unknown): Quantity {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new QuantityDecodeError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  }
  try {
    return parseQuantity(value);
  } catch (err) {
    if (err instanceof QuantityError) throw new QuantityDecodeError(err.message);
    throw err;
  }
}

/** Every quantity of a resource list, decoded (in the order given). */
export function decodeResourceList(list: unknown): Array<[string, Quantity]> {
  return Object.entries(obj(list) ?? {}).map(([name, q]) => [name, decodeQuantity(q)]);
}

/** Native resources (no domain, or a kubernetes.io one) may be overcommitted; extended ones may not. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const overcommitAllowed = (name: string): boolean => isNativeResource(name) && !isHugePages(name);
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** validateContainerResourceName: cpu, memory, ephemeral-storage, hugepages-*, or a domain-qualified extended resource. */
function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) errs.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length > 0)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateNonnegativeQuantity at `path`, quoting the canonical quantity. */
export function nonNegativeQuantity(q: Quantity, path: string): FieldError[] {
  return q.sign() < 0 ? [invalid(path, q.toString(), IS_NEGATIVE)] : [];
}

/** A container's `resources`: names and values of limits and requests, and requests within limits. */
export function validateContainerResources(resources: Fields | undefined, path: string): FieldError[] {
  if (!resources) return [];
  const errs: FieldError[] = [];
  const limPath = `${path}.limits`;
  const reqPath = `${path}.requests`;
  const limits = new Map(decodeResourceList(resources.limits));
  for (const [name, q] of limits) {
    errs.push(...validateContainerResourceName(name, `${limPath}[${name}]`));
    errs.push(...nonNegativeQuantity(q, `${limPath}[${name}]`));
  }
  for (const [name, q] of decodeResourceList(resources.requests)) {
    errs.push(...validateContainerResourceName(name, `${reqPath}[${name}]`));
    errs.push(...nonNegativeQuantity(q, `${reqPath}[${name}]`));
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !overcommitAllowed(name)) {
        errs.push(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q.cmp(limit) > 0) {
        errs.push(invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}
