/** Kiln's entry point: `deno run -A src/main.ts <command>` or the compiled `kiln` binary. */
import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
