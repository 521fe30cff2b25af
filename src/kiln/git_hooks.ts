import { basename } from "node:path";
import { Lazy } from "../core/mod.ts";
import { listen } from "../http/mod.ts";
import type { Cleanups } from "./options.ts";

/**
 * The loopback listener app repos' `pre-receive` hooks call. It listens before any repo is
 * opened (opening one writes the hook's URL); its handler is set once the push gate exists.
 */
export function hookEndpoint(
  hooks: boolean | { command: string[] },
  cleanups: Cleanups,
): {
  handler: Lazy<(req: Request) => Promise<Response>>;
  hook?: { url: string; command: string[] };
} {
  const handler = new Lazy<(req: Request) => Promise<Response>>("the git hook endpoint");
  if (hooks === false) return { handler };
  const abort = new AbortController();
  const server = listen((req) => handler.get()(req), {
    port: 0,
    hostname: "127.0.0.1",
    signal: abort.signal,
  });
  cleanups.unshift(async () => {
    abort.abort();
    await server.finished;
  });
  return {
    handler,
    hook: { url: server.url, command: typeof hooks === "object" ? hooks.command : kilnCommand() },
  };
}

/**
 * How an app repo's hook runs `kiln`: the compiled binary is this executable; from source,
 * deno runs this tree's `src/main.ts` with its config and only what the hook needs (read the
 * repo, its environment, and Kiln's loopback port).
 */
function kilnCommand(): string[] {
  const exec = Deno.execPath();
  if (!/^deno(\.exe)?$/.test(basename(exec))) return [exec];
  const path = (rel: string) => decodeURIComponent(new URL(rel, import.meta.url).pathname);
  return [
    exec,
    "run",
    "--quiet",
    "--no-prompt",
    `--config=${path("../../deno.json")}`,
    "--allow-read",
    "--allow-env",
    "--allow-net=127.0.0.1",
    path("../main.ts"),
  ];
}
