/**
 * Whether the event loop got turns while `work` ran (a timer that re-arms itself counts them):
 * one every 100 ms on a quiet machine, and at least two under any load (a loaded CI run saw 3 in
 * 475 ms when this process was not scheduled). Work done in one go gets none, however long it
 * takes. Null when it got enough; otherwise what it got.
 */
export async function leavesTurns(work: () => Promise<unknown>): Promise<string | null> {
  let turns = 0;
  let running = true;
  const tick = () => {
    if (!running) return;
    turns++;
    setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  const started = performance.now();
  try {
    await work();
  } finally {
    running = false;
  }
  const ms = performance.now() - started;
  const quiet = Deno.loadavg()[0] < navigator.hardwareConcurrency;
  const needed = quiet ? Math.floor(ms / 100) : Math.min(2, Math.floor(ms / 100));
  return turns >= needed ? null : `${turns} turns in ${ms.toFixed(0)} ms`;
}
