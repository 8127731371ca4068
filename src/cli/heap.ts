/**
 * How the server process lets its heap grow. V8 sizes the next old-generation limit at up to four times what
 * survived the last full collection, which suits short programs; an apiserver is the opposite: it holds a
 * large, long-lived watch cache and informers (150,000 pods are most of a gigabyte) and makes garbage steadily
 * (every Lease renewal), so with V8's default it carries up to that much again in dead objects between
 * collections, and its RSS follows. Bounding the growth to half again what is live keeps RSS near what the
 * process really holds, for a few percent more time in (mostly concurrent) marking (a quarter cost a fifth of
 * the scheduling throughput of `npm run bench -- scheduler`). Go servers make the same trade with GOGC.
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation grows by at most this share of the live heap before the next full collection. */
const HEAP_GROWING_PERCENT = 50;

/** Applies the server's heap growth bound (before the caches fill, so every limit V8 computes follows it). */
export function boundHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
