/** How long work runs before it lets the event loop serve others. */
const SLICE_MS = 5;

/**
 * Yields to the event loop once a slice's time is used up: long byte work on Kiln's main thread
 * (large Git objects, uploads) calls `pause()` between steps, so other apps' requests get turns.
 * A timer turn, not a promise job: promise jobs run before any timer or I/O.
 */
export class Slicer {
  #since = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.#since < SLICE_MS) return;
    await new Promise((r) => setTimeout(r, 0));
    this.#since = performance.now();
  }
}
