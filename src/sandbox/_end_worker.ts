/**
 * Ending a worker that has run guest code, in a sandbox host process (no imports: host programs
 * load it beside their own code). `terminate()` does not stop a thread stuck in a loop (Deno 2.9:
 * it runs on, a core's worth, until the process ends) and nothing else in the process can; so the
 * worker is asked to answer first. One that answers has a live event loop, which `terminate()`
 * does stop. One that does not within `PING_MS` may be stuck: it is terminated anyway and
 * `stuck()` is called, and the host tells Kiln it is spent (ADR 0037).
 */

/** How long a worker being ended has to answer before it is taken to be stuck. */
export const PING_MS = 250;

/** `ping` is the message the worker's program answers with one `isPong` accepts. */
export function endWorker(
  worker: Worker,
  ping: unknown,
  isPong: (data: unknown) => boolean,
  stuck: () => void,
): void {
  const timer = setTimeout(() => {
    worker.terminate();
    stuck();
  }, PING_MS);
  worker.onmessage = (event: MessageEvent) => {
    if (!isPong(event.data)) return;
    clearTimeout(timer);
    worker.terminate();
  };
  // An uncaught error closed its thread: nothing is left to stop.
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    clearTimeout(timer);
    worker.terminate();
  };
  worker.postMessage(ping);
}
