import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { KilnError, levelFromEnv, Logger, VERSION } from "../core/mod.ts";
import { listen } from "../http/mod.ts";
import { createKiln } from "../kiln.ts";
import { devLlm } from "./_dev_llm.ts";
import { DevLoop, type ReloadEvent } from "./_dev_loop.ts";
import { formatIssue } from "./_dev_issues.ts";
import { CliError, EXIT, type Io } from "./_output.ts";

export const DEV_HELP = `Usage: kiln dev [DIR] [options]

Serves the app in DIR (default .) on a local Kiln and reloads it on every save: each change
under DIR/state/ is validated and served at once, with the time it took; an invalid tree prints
each problem with its file and line while the last valid revision keeps serving. Kiln only reads
DIR (--record writes DIR/cassettes/): each revision is a commit in Kiln's own repository in its
data dir, never in DIR's .git.

Options:
  --port N         Port to listen on (default $KILN_PORT or 7411; 0 picks a free port)
  --host HOST      Interface to bind (default 127.0.0.1)
  --data-dir DIR   Keep Kiln's data (repos, runtime state) here across sessions (default: a
                   temporary directory, removed when kiln dev stops)
  --record         Send LLM calls to a live provider and record each answer into
                   DIR/cassettes/<profile>.cassette.json (default: replay from DIR/cassettes/)
  --provider P     With --record: openai | anthropic (default $KILN_LLM_PROVIDER)
  --model M        With --record: the wire model (default $KILN_LLM_MODEL)
  --base-url URL   With --record: the provider's API URL (default the provider's own)
  -h, --help       Show this help

The API key is read from OPENAI_API_KEY or ANTHROPIC_API_KEY (or the variable
KILN_LLM_API_KEY_ENV names). KILN_ADMIN_TOKEN sets the admin token (default: a new one, printed).
KILN_CONTAINERS=off leaves the container tier off. KILN_LOG_LEVEL (default warn).`;

/** `kiln dev`: serve DIR's app with hot reload until SIGINT/SIGTERM. */
export async function devCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      record: { type: "boolean", default: false },
      provider: { type: "string" },
      model: { type: "string" },
      "base-url": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(DEV_HELP);
    return EXIT.OK;
  }
  if (positionals.length > 1) throw new CliError(`unexpected argument "${positionals[1]}"`, 2);
  if (!values.record && (values.provider || values.model || values["base-url"])) {
    throw new CliError("--provider, --model and --base-url go with --record", 2);
  }
  const dir = resolve(positionals[0] ?? ".");
  const portText = values.port ?? Deno.env.get("KILN_PORT") ?? "7411";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new CliError(`--port must be a number from 0 to 65535, got "${portText}"`, 2);
  }
  try {
    if (!(await Deno.stat(resolve(dir, "state"))).isDirectory) throw new Error();
  } catch {
    throw new CliError(`"${dir}" is not an app directory: it has no state/ folder`, 2);
  }
  let llm;
  try {
    llm = await devLlm(
      dir,
      values.record
        ? { provider: values.provider, model: values.model, baseUrl: values["base-url"] }
        : undefined,
      Deno.env.toObject(),
    );
  } catch (err) {
    if (err instanceof KilnError) throw new CliError(err.message, 2);
    throw err;
  }

  const temporary = values["data-dir"] === undefined;
  const dataDir = temporary
    ? await Deno.makeTempDir({ prefix: "kiln-dev-" })
    : resolve(values["data-dir"]!);
  const logger = new Logger(
    { service: "kiln" },
    levelFromEnv(Deno.env.get("KILN_LOG_LEVEL") ?? "warn"),
  );
  const removeTemporary = async () => {
    if (temporary) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  let kiln;
  try {
    kiln = await createKiln({
      dataDir,
      adminToken: Deno.env.get("KILN_ADMIN_TOKEN"),
      logger,
      // Only kiln dev writes the app's repo here: no outside pushes to watch or gate.
      watch: false,
      gitHooks: false,
      warmSandboxes: false,
      containers: Deno.env.get("KILN_CONTAINERS") !== "off",
      deferStart: true,
      llm: { config: llm.config, providerFor: llm.providerFor },
      // No JIT hardening while the author edits: the oracle would rewrite what they are changing.
      optimization: { evaluateEveryMs: 0 },
    });
  } catch (err) {
    await removeTemporary();
    throw err;
  }
  const cleanup = async () => {
    await kiln.close();
    await removeTemporary();
  };
  const abort = new AbortController();
  let server;
  try {
    server = listen(kiln.handler, {
      port,
      hostname: values.host ?? "127.0.0.1",
      signal: abort.signal,
    });
  } catch (err) {
    await cleanup();
    throw new CliError(`cannot listen on port ${port}: ${(err as Error).message}`);
  }
  await kiln.start();
  const base = server.url.replace(/\/$/, "");
  if (kiln.generatedAdminToken) io.out(`admin token: ${kiln.generatedAdminToken}`);
  io.out(`data dir: ${dataDir}${temporary ? " (temporary, removed on exit)" : ""}`);
  io.out(llm.describe);

  const report = (event: ReloadEvent) => {
    const ms = Math.round(event.ms);
    if (event.ok) {
      if (!event.changed) return;
      io.out(`reloaded ${event.appId} at ${event.revision.slice(0, 12)} in ${ms} ms`);
      return;
    }
    const served = event.servedRevision
      ? `still serving ${event.servedRevision.slice(0, 12)}`
      : "nothing served yet";
    io.err(`invalid: ${event.issues.length} problem(s), ${served} (checked in ${ms} ms)`);
    for (const issue of event.issues) io.err(`  ${formatIssue(issue)}`);
  };
  const loop = new DevLoop({
    dir,
    registry: kiln.registry,
    onReload: report,
    onCassettes: () => {
      void llm.reload().then((problems) => problems && io.err(`cassettes: ${problems}`));
    },
  });
  loop.watch();
  const first = await loop.reload();
  io.out(`Kiln ${VERSION} dev listening on ${base}`);
  if (first.ok) io.out(`serving ${first.appId} at ${base}/apps/${first.appId}/`);
  io.out(`watching ${dir} (state/, cassettes/); Ctrl-C stops`);

  const stop = () => void kiln.mcp.close().finally(() => abort.abort());
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await loop.close();
  await cleanup();
  io.out("Kiln dev stopped");
  return EXIT.OK;
}
