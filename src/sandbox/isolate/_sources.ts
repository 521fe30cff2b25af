import { hostMain } from "./_host_program.ts";
import { workerMain } from "./_worker_program.ts";

/**
 * The isolate host as one self-contained script (a `data:` URL the child `deno run`s), built from
 * the typed host and worker functions. Embedded through imports, so it works under `deno compile`
 * and with no read permission on the source tree.
 */
export function hostScriptUrl(nonce: string, warm: number): string {
  const worker = `(${workerMain.toString()})();`;
  const script = `(${hostMain.toString()})(${JSON.stringify(nonce)}, ${JSON.stringify(worker)}, ${
    JSON.stringify(warm)
  });`;
  return `data:text/javascript,${encodeURIComponent(script)}`;
}
