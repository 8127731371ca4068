/**
 * Quantity arithmetic for admission's sums and bounds (LimitRanger, ResourceQuota), on top of
 * src/apimachinery/quantity.ts (which parses and prints): add, subtract, compare, max, and resource lists.
 * A value is held as an exact count of nano-units (kube keeps nothing finer), so `100m + 0.9 == 1` and `1Gi`
 * stay exact, with the format it prints in.
 */
import { parseQuantity as parseAPIQuantity, Quantity as APIQuantity, type QuantityFormat } from '../../apimachinery/quantity.js';

const NANO = 1_000_000_000n;

/** A quantity as admission adds it up: nano-units and the format it prints in. */
export interface Quantity {
  readonly nano: bigint;
  readonly format: QuantityFormat;
}

export const ZERO: Quantity = { nano: 0n, format: 'DecimalSI' };

/** `n` whole units (counts: pods=1, services.nodeports=3). */
export function units(n: number | bigint): Quantity {
  return { nano: BigInt(n) * NANO, format: 'DecimalSI' };
}

/** Parses a Kubernetes quantity (`500m`, `1.5Gi`, `2`, `1e3`); undefined when it is not one. */
export function parseQuantity(value: unknown): Quantity | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  try {
    const q = parseAPIQuantity(value);
    return { nano: (q.num * NANO) / q.den, format: q.format };
  } catch {
    return undefined;
  }
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b - 1n) / b : -((-a) / b);
}

/** The sum keeps the first operand's format, as resource.Quantity.Add does (a zero takes the other's). */
export function add(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format };
}

export function sub(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano - b.nano, format: a.format };
}

export function cmp(a: Quantity, b: Quantity): number {
  return a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0;
}

export function max(a: Quantity, b: Quantity): Quantity {
  return cmp(a, b) >= 0 ? a : b;
}

/** The quantity in whole units, rounded up (resource.Quantity.Value). */
export function value(q: Quantity): bigint {
  return ceilDiv(q.nano, NANO);
}

/** The quantity in milli-units, rounded up (resource.Quantity.MilliValue). */
export function milliValue(q: Quantity): bigint {
  return ceilDiv(q.nano, 1_000_000n);
}

/** kube's canonical form (`1500m`, `2k`, `1536Mi`), as messages and statuses print it. */
export function formatQuantity(q: Quantity): string {
  const whole = q.nano % NANO === 0n;
  return (whole ? APIQuantity.of(q.nano / NANO, 1n, q.format) : APIQuantity.of(q.nano, NANO, q.format)).toString();
}

/** A resource list (`{cpu: '1', memory: '1Gi'}`) as parsed quantities; unparsable entries are left out. */
export function parseResourceList(list: unknown): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (typeof list !== 'object' || list === null) return out;
  for (const [name, raw] of Object.entries(list as Record<string, unknown>)) {
    const q = parseQuantity(raw);
    if (q) out.set(name, q);
  }
  return out;
}

/** Adds `b` into `a` (resource by resource). */
export function addInto(a: Map<string, Quantity>, b: ReadonlyMap<string, Quantity>): void {
  for (const [name, q] of b) a.set(name, add(a.get(name) ?? ZERO, q));
}

/** A resource list in canonical printed form, keys sorted. */
export function formatResourceList(list: ReadonlyMap<string, Quantity>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...list.keys()].sort()) out[name] = formatQuantity(list.get(name)!);
  return out;
}
