/**
 * A log-bucketed latency histogram: 1 % relative precision from 1 µs to about
 * 100 s in a fixed 1,900-slot array, so generator processes can record every
 * sampled delivery cheaply and the driver can merge their counts exactly.
 */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
export const HISTOGRAM_SLOTS = 1900;

/** Slot of a latency in µs (values below 1 µs go to slot 0, above the range to the last). */
export function slotOf(us: number): number {
  if (us < 1) return 0;
  const slot = Math.floor(Math.log(us) / LOG_GROWTH) + 1;
  return slot < HISTOGRAM_SLOTS ? slot : HISTOGRAM_SLOTS - 1;
}

/** Upper bound of a slot in µs. */
function slotUpperUs(slot: number): number {
  return slot === 0 ? 1 : GROWTH ** slot;
}

export function createHistogram(): Float64Array {
  return new Float64Array(HISTOGRAM_SLOTS);
}

export function mergeInto(target: Float64Array, counts: readonly number[]): void {
  for (let i = 0; i < counts.length && i < target.length; i++)
    target[i] = (target[i] ?? 0) + (counts[i] ?? 0);
}

export function totalCount(h: Float64Array): number {
  let n = 0;
  for (const c of h) n += c;
  return n;
}

/** The value (µs, slot upper bound) at quantile q in [0, 1]; NaN when empty. */
export function quantileUs(h: Float64Array, q: number): number {
  const n = totalCount(h);
  if (n === 0) return NaN;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i] ?? 0;
    if (seen >= rank) return slotUpperUs(i);
  }
  return slotUpperUs(h.length - 1);
}
