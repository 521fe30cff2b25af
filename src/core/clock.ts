/**
 * Time as a passed-in dependency, so TTLs, expiry and timestamps can be driven by fake timers in
 * tests instead of sleeps.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** The wall clock. `Date.now` is looked up per call so `@sinonjs/fake-timers` can replace it. */
export const systemClock: Clock = { now: () => Date.now() };
