import { hostMain } from "./_host_program.ts";
import { lineReader } from "./_line_reader.ts";
import { type HostConfig, MEMORY_EXIT_CODE } from "./_protocol.ts";
import { workerMain } from "./_worker_program.ts";

/**
 * The isolate host as one self-contained script (a `data:` URL the child `deno run`s), built from
 * the typed host, worker and line reader functions. Embedded through imports, so it works under
 * `deno compile` and with no read permission on the source tree.
 */
export function hostScriptUrl(config: HostConfig): string {
  const worker = `(${workerMain.toString()})();`;
  const script = `(${hostMain.toString()})(${JSON.stringify(config)}, ${
    JSON.stringify(worker)
  }, ${lineReader.toString()}, ${MEMORY_EXIT_CODE});`;
  return `data:text/javascript,${encodeURIComponent(script)}`;
}
