/** Kiln's entry point: `deno run -A src/main.ts <command>` or the compiled `kiln` binary. */
import { isChildCommand, runChild } from "./child_main.ts";

if (import.meta.main) {
  const [first, ...rest] = Deno.args;
  // Kiln started by itself as an isolate host or renderer: none of the CLI is loaded.
  if (isChildCommand(first)) await runChild(first, rest);
  else {
    const { runCli } = await import("./cli/mod.ts");
    Deno.exit(await runCli(Deno.args));
  }
}
