import { join } from "node:path";
import { KilnError, quote } from "../core/mod.ts";
import {
  type Cassette,
  type LlmConfig,
  llmConfigFromEnv,
  type LlmProvider,
  parseCassette,
  ReplayProvider,
} from "../llm/mod.ts";

/** What `kiln dev` hands the LLM gateway, and a line saying where answers come from. */
export interface DevLlm {
  config: LlmConfig;
  providerFor?: (name: string) => LlmProvider;
  /** Re-reads `cassettes/` (replay mode), so a new or edited recording answers at once. */
  reload(): Promise<string>;
  describe: string;
}

/** Live-provider flags of `kiln dev --record`. */
export interface RecordFlags {
  provider?: string;
  model?: string;
  baseUrl?: string;
}

/**
 * LLM calls for `kiln dev`. By default they replay from `DIR/cassettes/*.json`: one replay
 * profile per cassette (named as the cassette, which is the profile it was recorded under) with
 * the model its entries were recorded with, and `default` on the model most entries used, so
 * a recording made through any profile answers the same call again. With `record`, calls go to
 * the live provider (the flags, else `KILN_LLM_*`) and each answer is written to
 * `DIR/cassettes/<profile>.cassette.json`.
 */
export async function devLlm(
  dir: string,
  record: RecordFlags | undefined,
  env: Record<string, string | undefined>,
): Promise<DevLlm> {
  const cassetteDir = join(dir, "cassettes");
  if (record) {
    const config = llmConfigFromEnv({
      ...env,
      KILN_LLM_CONFIG: undefined,
      KILN_LLM_PROVIDER: record.provider ?? env.KILN_LLM_PROVIDER,
      KILN_LLM_MODEL: record.model ?? env.KILN_LLM_MODEL,
      KILN_LLM_BASE_URL: record.baseUrl ?? env.KILN_LLM_BASE_URL,
      KILN_LLM_RECORD_DIR: cassetteDir,
    });
    if (!config || !["openai", "anthropic"].includes(config.profiles.default.provider)) {
      throw new KilnError(
        "VALIDATION_ERROR",
        "--record needs a live provider: --provider openai|anthropic and --model (or " +
          "KILN_LLM_PROVIDER and KILN_LLM_MODEL)",
      );
    }
    const { provider, model, baseUrl } = config.profiles.default;
    return {
      config,
      reload: () => Promise.resolve(""),
      describe: `LLM: recording calls to ${provider} ${model} (${baseUrl}) into ${cassetteDir}`,
    };
  }
  let replay = new ReplayProvider([]);
  let cassettes = await readCassettes(cassetteDir);
  const reload = async () => {
    cassettes = await readCassettes(cassetteDir);
    replay = new ReplayProvider(cassettes.list);
    return cassettes.problems.join("\n");
  };
  await reload();
  const live: LlmProvider = {
    name: "replay",
    complete: (req, opts) => replay.complete(req, opts),
    stream: (req, opts) => replay.stream(req, opts),
  };
  const entries = cassettes.list.reduce((n, c) => n + c.entries.length, 0);
  return {
    config: { profiles: replayProfiles(cassettes.list) },
    providerFor: () => live,
    reload,
    describe: `LLM: replaying ${entries} recorded calls from ${cassetteDir} ` +
      "(--record records new ones)",
  };
}

function replayProfiles(list: Cassette[]): LlmConfig["profiles"] {
  const counts = new Map<string, number>();
  const profiles: LlmConfig["profiles"] = {};
  for (const cassette of list) {
    const models = cassette.entries.map((e) => e.request.model);
    for (const m of models) counts.set(m, (counts.get(m) ?? 0) + 1);
    if (models.length > 0) profiles[cassette.name] = { provider: "replay", model: models[0] };
  }
  const common = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "replay";
  profiles.default ??= { provider: "replay", model: common };
  return profiles;
}

async function readCassettes(
  cassetteDir: string,
): Promise<{ list: Cassette[]; problems: string[] }> {
  const list: Cassette[] = [];
  const problems: string[] = [];
  let names: string[] = [];
  try {
    for await (const entry of Deno.readDir(cassetteDir)) {
      if (entry.isFile && entry.name.endsWith(".json")) names.push(entry.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  names = names.sort();
  for (const name of names) {
    const path = join(cassetteDir, name);
    try {
      list.push(parseCassette(JSON.parse(await Deno.readTextFile(path))));
    } catch (err) {
      problems.push(`cassettes/${name}: ${quote((err as Error).message)}`);
    }
  }
  return { list, problems };
}
