/**
 * Fixed histogram buckets. Every histogram shares one list of upper bounds, so buckets of any two
 * series or minutes add up index by index, and percentiles come from counts alone. The bounds are
 * the ms-friendly 1, 1.5, 2, 3, 5, 7.5 steps per decade from 0.05 ms to 120 000 ms (each at most
 * 1.67× the one before), plus an overflow bucket.
 */
export const BUCKET_BOUNDS: readonly number[] = buildBounds();

/** Number of buckets, the overflow (`+Inf`) one included. */
export const BUCKET_COUNT = BUCKET_BOUNDS.length + 1;

function buildBounds(): number[] {
  const steps = [1, 1.5, 2, 3, 5, 7.5];
  const out = [0.05, 0.075];
  for (let decade = 0.1; decade < 100_000; decade *= 10) {
    for (const s of steps) out.push(Number((decade * s).toPrecision(3)));
  }
  out.push(100_000, 120_000);
  return out;
}

/** The bucket a value falls into: the first bound >= value (binary search), else the overflow. */
export function bucketIndex(value: number): number {
  let lo = 0;
  let hi = BUCKET_BOUNDS.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (BUCKET_BOUNDS[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The q-quantile (0 < q <= 1) of a bucketed distribution, interpolated linearly inside the bucket
 * that holds the rank. The bucket's edges are narrowed to the observed min and max, so a single
 * observation or a tight cluster comes back exactly.
 */
export function quantile(
  buckets: ArrayLike<number>,
  count: number,
  min: number,
  max: number,
  q: number,
): number | null {
  if (count <= 0) return null;
  const rank = q * count;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i];
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lower = Math.max(i === 0 ? min : BUCKET_BOUNDS[i - 1], min);
      const upper = Math.min(i < BUCKET_BOUNDS.length ? BUCKET_BOUNDS[i] : max, max);
      if (upper <= lower) return lower;
      return lower + (upper - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return max;
}
