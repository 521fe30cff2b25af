/**
 * `kiln __renderer NONCE KEEP_IDLE`: an app's prompt renderer program, run by Kiln's hidden
 * subcommand once every permission is gone (`src/child_main.ts`). Imports only the host program;
 * the render worker's source arrives on stdin.
 */
import { hostMain } from "./_host_program.ts";

export function childMain(args: string[]): Promise<void> {
  hostMain(args[0], Number(args[1]));
  return Promise.resolve();
}
