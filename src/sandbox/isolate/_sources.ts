import { hostMain } from "./_host_program.ts";
import { DONE_BATCH_BYTES, type HostConfig, MEMORY_EXIT_CODE } from "./_protocol.ts";
import { workerMain } from "./_worker_program.ts";

/**
 * The isolate host as one self-contained script (a `data:` URL the child `deno run`s), built from
 * the typed host and worker functions. Embedded through imports, so it works under `deno compile`
 * and with no read permission on the source tree.
 */
export function hostScriptUrl(config: Omit<HostConfig, "doneBatchBytes">): string {
  const worker = `(${workerMain.toString()})();`;
  const full: HostConfig = { ...config, doneBatchBytes: DONE_BATCH_BYTES };
  const script = `(${hostMain.toString()})(${JSON.stringify(full)}, ${
    JSON.stringify(worker)
  }, ${MEMORY_EXIT_CODE});`;
  return `data:text/javascript,${encodeURIComponent(script)}`;
}
