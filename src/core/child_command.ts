/**
 * How Kiln starts a copy of itself as one of its own child processes (an isolate host, a prompt
 * renderer): Kiln is its own child, through a hidden subcommand that drops every permission before
 * it loads anything untrusted (`src/child_main.ts`). A compiled Kiln runs its own binary; from
 * source, deno runs `src/child_main.ts` — not `src/main.ts`, whose graph (deno walks dynamic
 * imports too) is all of Kiln. So a compiled Kiln needs nothing beside it, and the children
 * run the same binary as Kiln — the one `npx deno@… task start` fetched, never a `deno` on PATH.
 */
export interface ChildCommand {
  /** The program to start: the compiled Kiln, or the deno binary that runs Kiln from source. */
  readonly file: string;
  /** A compiled Kiln: `deno run` flags (V8 flags among them) are fixed at compile time. */
  readonly compiled: boolean;
  /** The arguments that run hidden subcommand `name`; `runFlags` are `deno run` flags. */
  args(name: string, runFlags: string[], args: string[]): string[];
}

export interface ChildCommandOptions {
  /** From source: the deno binary children run on (`KILN_DENO_PATH`; default the running one). */
  denoPath?: string;
  /**
   * From source: start children with every permission, as a compiled Kiln's children start, so
   * tests prove the child drops them itself (default: none, so the drop is a second guard).
   */
  allowAll?: boolean;
}

export function kilnChildCommand(opts: ChildCommandOptions = {}): ChildCommand {
  if (Deno.build.standalone) {
    return { file: Deno.execPath(), compiled: true, args: (name, _flags, args) => [name, ...args] };
  }
  // The children's entry point from source (a compiled Kiln reaches it through `main.ts`),
  // resolved here: core is also bundled into code that runs from a `data:` URL.
  const main = decodeURIComponent(new URL("../child_main.ts", import.meta.url).pathname);
  return {
    file: opts.denoPath ?? Deno.execPath(),
    compiled: false,
    args: (name, runFlags, args) => [
      "run",
      "--no-prompt",
      "--no-remote",
      "--no-npm",
      "--no-config",
      "--no-lock",
      "--quiet",
      ...(opts.allowAll ? ["--allow-all"] : []),
      ...runFlags,
      main,
      name,
      ...args,
    ],
  };
}
