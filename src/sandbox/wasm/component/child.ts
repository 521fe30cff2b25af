/**
 * `kiln __component-host`: the component host program, run by Kiln's hidden subcommand once every
 * permission is gone (`src/child_main.ts`). Imports only the host and worker programs.
 */
import { componentHostMain } from "./_host_program.ts";

export function childMain(_args: string[]): Promise<void> {
  return componentHostMain();
}
