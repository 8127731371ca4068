/**
 * Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource): `500m`, `1.5Gi`, `2`, `1e3`. A
 * quantity is held as an exact fraction of bigints so comparisons (requests <= limits) never suffer float
 * rounding, and prints in kube's canonical form (`1000m` -> `1`, `1.5Gi` -> `1536Mi`) because validation
 * messages quote it that way.
 */

/** How a quantity was written, which decides how it prints: `Ki`-style, `k`-style, or `e3`-style suffixes. */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

/** kube's ErrFormatWrong: what a string that is not a quantity at all gets. */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** kube's ErrNumeric. */
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
/** kube's ErrSuffix. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

/** A string that does not parse as a quantity; the message is kube's. */
export class QuantityError extends Error {
  override readonly name = 'QuantityError';
}

const FORMAT_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
/** kube keeps nothing finer than a nano-unit: more precise values are rounded up to it. */
const NANO = 10n ** 9n;

const pow10 = (e: number): bigint => 10n ** BigInt(e);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/** An exact quantity: `num / den` units (den > 0), with the format it was written in. */
export class Quantity {
  private constructor(
    readonly num: bigint,
    readonly den: bigint,
    readonly format: QuantityFormat,
  ) {}

  /** Builds a quantity from a fraction, keeping at most nano precision (rounding up, as kube does). */
  static of(num: bigint, den: bigint, format: QuantityFormat): Quantity {
    if (den < 0n) {
      num = -num;
      den = -den;
    }
    if ((num * NANO) % den !== 0n) {
      // Round away from zero up to the next nano-unit.
      const scaled = (num * NANO) / den;
      num = num > 0n ? scaled + 1n : scaled - 1n;
      den = NANO;
    }
    const g = gcd(abs(num), den);
    return new Quantity(num / g, den / g, format);
  }

  /** -1, 0 or 1. */
  sign(): number {
    return this.num === 0n ? 0 : this.num < 0n ? -1 : 1;
  }

  /** -1, 0 or 1 as `this` is less than, equal to or greater than `other`. */
  cmp(other: Quantity): number {
    const l = this.num * other.den;
    const r = other.num * this.den;
    return l === r ? 0 : l < r ? -1 : 1;
  }

  /** The value in milli-units, rounded up (kube's MilliValue). */
  milliValue(): bigint {
    const scaled = this.num * 1000n;
    const q = scaled / this.den;
    return scaled % this.den !== 0n && scaled > 0n ? q + 1n : q;
  }

  /** kube's canonical form: the largest suffix that keeps the mantissa whole. */
  toString(): string {
    if (this.num === 0n) return '0';
    const sign = this.num < 0n ? '-' : '';
    const n = abs(this.num);
    if (this.format === 'BinarySI' && this.den === 1n && n >= 1024n) {
      let mantissa = n;
      let power = 0;
      while (power < 6 && mantissa % 1024n === 0n) {
        mantissa /= 1024n;
        power++;
      }
      return `${sign}${mantissa}${BINARY_BY_POWER[power]}`;
    }
    // Decimal: exponents that are multiples of 3, from 10^18 down to 10^-9 (always whole after parsing).
    for (let e = 18; e >= -9; e -= 3) {
      const numerator = e >= 0 ? n : n * pow10(-e);
      const denominator = e >= 0 ? this.den * pow10(e) : this.den;
      if (numerator % denominator !== 0n) continue;
      const mantissa = numerator / denominator;
      const suffix = this.format === 'DecimalExponent' ? (e === 0 ? '' : `e${e}`) : DECIMAL_BY_EXPONENT.get(e)!;
      return `${sign}${mantissa}${suffix}`;
    }
    return `${sign}${n}`;
  }
}

/**
 * Parses a quantity as kube's ParseQuantity does; JSON numbers (`cpu: 2` in YAML) are accepted like strings.
 * Throws QuantityError with kube's message when it is not one.
 */
export function parseQuantity(value: string | number): Quantity {
  const s = typeof value === 'number' ? numberString(value) : value;
  if (s.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const m = FORMAT_RE.exec(s);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const numeric = m[1]!;
  const suffix = m[2]!;
  const nm = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(numeric);
  if (!nm || (nm[2] === '' && (nm[3] ?? '') === '')) throw new QuantityError(QUANTITY_NUMERIC_ERROR);
  const negative = nm[1] === '-';
  const whole = nm[2] ?? '';
  const fraction = nm[3] ?? '';
  let num = BigInt(`${whole}${fraction}` || '0');
  if (negative) num = -num;
  let den = pow10(fraction.length);

  let format: QuantityFormat;
  if (suffix in BINARY_SUFFIXES) {
    format = 'BinarySI';
    num *= 1024n ** BigInt(BINARY_SUFFIXES[suffix]!);
  } else if (suffix in DECIMAL_SUFFIXES) {
    format = 'DecimalSI';
    const e = DECIMAL_SUFFIXES[suffix]!;
    if (e >= 0) num *= pow10(e);
    else den *= pow10(-e);
  } else {
    const em = /^[eE]([+-]?\d+)$/.exec(suffix);
    if (!em) throw new QuantityError(QUANTITY_SUFFIX_ERROR);
    format = 'DecimalExponent';
    const e = Number(em[1]);
    if (!Number.isSafeInteger(e) || Math.abs(e) > 1000) throw new QuantityError(QUANTITY_SUFFIX_ERROR);
    if (e >= 0) num *= pow10(e);
    else den *= pow10(-e);
  }
  return Quantity.of(num, den, format);
}

/** A JSON number as Go's decoder hands it to the quantity parser (no exponent for ordinary values). */
function numberString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  return String(n).replace('e+', 'e');
}

/** Whether `value` parses; the kube message when it does not. */
export function quantityError(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return QUANTITY_FORMAT_ERROR;
  try {
    parseQuantity(value);
    return undefined;
  } catch (err) {
    return err instanceof QuantityError ? err.message : QUANTITY_FORMAT_ERROR;
  }
}
