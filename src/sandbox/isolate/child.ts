/**
 * `kiln __isolate-host CONFIG`: the isolate host program, run by Kiln's hidden subcommand once
 * every permission is gone (`src/child_main.ts`). Imports only the host and worker programs.
 */
import { hostMain } from "./_host_program.ts";
import { type HostConfig, MEMORY_EXIT_CODE } from "./_protocol.ts";
import { workerMain } from "./_worker_program.ts";

export function childMain(args: string[]): Promise<void> {
  const config = JSON.parse(args[0]) as HostConfig;
  return hostMain(config, `(${workerMain.toString()})();`, MEMORY_EXIT_CODE);
}
