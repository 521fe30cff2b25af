import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { levelFromEnv, loadYaml, Logger, VERSION, yamlValueOrThrowAsync } from "../core/mod.ts";
import { Configuration } from "../models/mod.ts";
import { listen } from "../http/mod.ts";
import { createKiln } from "../kiln.ts";
import { CliError, type Io } from "./_output.ts";

export const SERVE_HELP = `Usage: kiln serve [options]

Starts Kiln: the HTTP API, app ingress and the MCP endpoint (/mcp) on one port.

Options:
  --port N         Port to listen on (default $KILN_PORT or 7411; 0 picks a free port)
  --host HOST      Interface to bind (default $KILN_HOST or 127.0.0.1)
  --data-dir DIR   Where repos and the embedded store live (default $KILN_DATA_DIR or ./.kiln-data)
  --store URL      redis://host:port[/db] or redis+sentinel://host:port[,host:port…]/master[/db]
                   for runtime state on Redis (default $KILN_STORE_URL; embedded)
  --config FILE    YAML or JSON mapping: the global configuration level, under every app's
                   and component's own (default $KILN_CONFIG_FILE; none)
  --cluster URL    redis://… or redis+sentinel://… as for --store: join the cluster of nodes sharing this Redis (apps,
                   definitions, runs); implies --store on it (default $KILN_CLUSTER_URL)
  --node-id ID     This node's id in the cluster (default $KILN_NODE_ID, else host name + random)
  --advertise-url URL  Where other nodes reach this one (default $KILN_ADVERTISE_URL, else the
                   address it listens on)
  --no-example     Do not register the example app on the first start of an empty data dir
  -h, --help       Show this help

Environment:
  KILN_ADMIN_TOKEN  Admin bearer token; if unset, one is generated on first start and printed once
  KILN_LOG_LEVEL    debug | info | warn | error (default info)
  KILN_PUBLIC_URL   The URL clients reach Kiln at (behind a proxy); its host is allowed on /mcp
  KILN_MCP_ALLOWED_ORIGINS  Comma-separated browser origins /mcp accepts besides loopback
  KILN_MCP_ALLOWED_HOSTS    Comma-separated Host names /mcp accepts besides loopback
  KILN_DENO_PATH    From source only: the deno binary Kiln's isolate hosts and renderers run on
                    (default: the running deno; a compiled Kiln is its own host)
  KILN_LLM_PROVIDER, KILN_LLM_MODEL, KILN_LLM_BASE_URL, KILN_LLM_CODER_MODEL, KILN_LLM_API_KEY_ENV
                    A live model (openai | anthropic); without them Kiln replays the example's
                    recordings. KILN_LLM_CONFIG takes full JSON profiles; KILN_LLM_RECORD_DIR
                    records live calls to cassettes. Keys stay in their own variables.
  KILN_CONTAINERS   off disables the container tier (on when Docker answers)
  KILN_DRAIN_MS     Cluster mode: how long /healthz fails before a stopping node closes (2000)
  KILN_WORKFLOW_MCP_COMMANDS  Comma-separated commands apps may start as stdio MCP servers`;

/** How long the deferred start-up waits for a first request to answer before it begins anyway. */
const FIRST_RESPONSE_GRACE_MS = 100;

/** `kiln serve`: runs until SIGINT/SIGTERM, then shuts down cleanly. */
export async function serveCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      store: { type: "string" },
      config: { type: "string" },
      cluster: { type: "string" },
      "node-id": { type: "string" },
      "advertise-url": { type: "string" },
      "no-example": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.out(SERVE_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new CliError(`unexpected argument "${positionals[0]}"`, 2);
  const portText = values.port ?? Deno.env.get("KILN_PORT") ?? "7411";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new CliError(`--port must be a number from 0 to 65535, got "${portText}"`, 2);
  }
  const hostname = values.host ?? Deno.env.get("KILN_HOST") ?? "127.0.0.1";
  const dataDir = resolve(values["data-dir"] ?? Deno.env.get("KILN_DATA_DIR") ?? ".kiln-data");
  const logger = new Logger({ service: "kiln" }, levelFromEnv(Deno.env.get("KILN_LOG_LEVEL")));
  const configFile = values.config ?? Deno.env.get("KILN_CONFIG_FILE");
  const configuration = configFile ? await readConfiguration(configFile) : undefined;

  const clusterUrl = values.cluster ?? Deno.env.get("KILN_CLUSTER_URL");
  const nodeId = values["node-id"] ?? Deno.env.get("KILN_NODE_ID");
  const advertiseUrl = values["advertise-url"] ?? Deno.env.get("KILN_ADVERTISE_URL");
  if (!clusterUrl && (nodeId || advertiseUrl)) {
    throw new CliError("--node-id and --advertise-url need --cluster", 2);
  }
  const env = Deno.env.toObject();
  // A live model's settings are checked now, so a wrong one stops the start; without them the
  // gateway and the example's recordings load only when an app first calls a model.
  const live = env.KILN_LLM_CONFIG || env.KILN_LLM_PROVIDER
    ? (await import("../llm/mod.ts")).llmConfigFromEnv(env)
    : undefined;
  const example = () => import("../../examples/support_desk_cassettes.ts");
  const kiln = await createKiln({
    dataDir,
    storeUrl: values.store ?? Deno.env.get("KILN_STORE_URL"),
    cluster: clusterUrl ? { url: clusterUrl, nodeId, advertiseUrl } : undefined,
    adminToken: Deno.env.get("KILN_ADMIN_TOKEN"),
    logger,
    configuration,
    firstStartApp: values["no-example"]
      ? undefined
      : async () => (await import("../../examples/support_desk_bundle.ts")).supportDeskFiles,
    publicUrl: Deno.env.get("KILN_PUBLIC_URL"),
    mcpAllowedOrigins: listFromEnv("KILN_MCP_ALLOWED_ORIGINS"),
    mcpAllowedHosts: listFromEnv("KILN_MCP_ALLOWED_HOSTS"),
    denoPath: Deno.env.get("KILN_DENO_PATH"),
    // QuickJS workers start with the first wasm execution: warm, they hold ~35 MB from the start.
    warmSandboxes: false,
    llm: {
      config: live ?? (async () => (await example()).offlineLlmConfig),
      cassettes: async () => (await example()).supportDeskCassettes,
    },
    containers: Deno.env.get("KILN_CONTAINERS") !== "off",
    // Listen first: Docker, the example app and workflow runs start once the port is open.
    deferStart: true,
    workflows: { mcpCommands: listFromEnv("KILN_WORKFLOW_MCP_COMMANDS") },
  });
  const abort = new AbortController();
  let server;
  try {
    server = listen(kiln.handler, { port, hostname, signal: abort.signal });
  } catch (err) {
    await kiln.close();
    throw new CliError(`cannot listen on ${hostname}:${port}: ${(err as Error).message}`);
  }
  if (kiln.generatedAdminToken) {
    io.out(`admin token (shown once, stored hashed): ${kiln.generatedAdminToken}`);
  }
  io.out(`data dir: ${dataDir}`);
  kiln.cluster?.advertise(server.url);
  if (kiln.cluster) io.out(`cluster node ${kiln.cluster.nodeId}`);
  io.out(`Kiln ${VERSION} listening on ${server.url}`);
  // The first /healthz probe is answered before the deferred start-up takes the event loop.
  const started = kiln.start({ afterFirstResponseMs: FIRST_RESPONSE_GRACE_MS });
  // Open MCP streams would hold `server.finished` forever; end them before the listener.
  const close = () => void kiln.mcp.close().finally(() => abort.abort());
  // A cluster node first fails its health check, so the load balancer stops sending it work.
  const drainMs = Number(Deno.env.get("KILN_DRAIN_MS") ?? 2_000);
  let stopping = false;
  const stop = () => {
    if (stopping || !kiln.cluster) return close();
    stopping = true;
    kiln.cluster.leave();
    setTimeout(close, Number.isFinite(drainMs) && drainMs >= 0 ? drainMs : 2_000);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  await started;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  await kiln.close();
  io.out("Kiln stopped");
  return 0;
}

/** The global configuration file: a YAML (or JSON) mapping, refused with the reason otherwise. */
async function readConfiguration(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new CliError(`--config: cannot read "${path}": ${(err as Error).message}`, 2);
  }
  let value: unknown;
  try {
    await loadYaml();
    value = await yamlValueOrThrowAsync(text, path);
  } catch (err) {
    throw new CliError(`--config: "${path}" is not valid YAML: ${(err as Error).message}`, 2);
  }
  const parsed = Configuration.safeParse(value ?? {});
  if (!parsed.success) {
    const found = Array.isArray(value) ? "a list" : typeof value;
    throw new CliError(
      `--config: "${path}" must hold a mapping of keys to values, found ${found}`,
      2,
    );
  }
  return parsed.data;
}

function listFromEnv(name: string): string[] | undefined {
  const text = Deno.env.get(name);
  if (!text) return undefined;
  return text.split(",").map((item) => item.trim()).filter(Boolean);
}
