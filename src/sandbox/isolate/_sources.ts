import { hostMain } from "./_host_program.ts";
import { type HostConfig, MEMORY_EXIT_CODE } from "./_protocol.ts";
import { workerMain } from "./_worker_program.ts";

/**
 * The isolate host as one self-contained script (a `data:` URL the child `deno run`s), built from
 * the typed host and worker functions. Embedded through imports, so it works under `deno compile`
 * and with no read permission on the source tree.
 */
export function hostScriptUrl(config: HostConfig): string {
  const worker = `(${workerMain.toString()})();`;
  const script = `(${hostMain.toString()})(${JSON.stringify(config)}, ${
    JSON.stringify(worker)
  }, ${MEMORY_EXIT_CODE});`;
  return `data:text/javascript,${encodeURIComponent(script)}`;
}
