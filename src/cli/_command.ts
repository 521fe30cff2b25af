import { parseArgs } from "node:util";
import { callApi, DEFAULT_URL, type Remote } from "./_client.ts";
import { CliError, EXIT, type Io, printer } from "./_output.ts";
import { readProfiles } from "./_profiles.ts";

/** One option of a subcommand, with its help line. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  help: string;
}

/** What a subcommand's `run` gets: its arguments, options, output and the API. */
export interface Context {
  args: string[];
  opts: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
  io: Io;
  print: (value: unknown, human: () => string) => void;
  remote(): Promise<Remote>;
  api(method: string, path: string, body?: unknown): Promise<unknown>;
}

/** A subcommand: `args` is its usage (e.g. "APP KEY [VALUE]"), checked by count. */
export interface Subcommand {
  args: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  run(ctx: Context): Promise<number>;
}

/** Options every API command takes. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: "string",
    help: `Kiln's address (default $KILN_URL, the profile, or ${DEFAULT_URL})`,
  },
  token: {
    type: "string",
    help: "Admin token or app key (default $KILN_ADMIN_TOKEN, the profile)",
  },
  profile: {
    type: "string",
    help: "A profile saved by kiln login (default $KILN_PROFILE, default)",
  },
  json: { type: "boolean", help: "Print JSON instead of a table" },
  help: { type: "boolean", short: "h", help: "Show this help" },
};

/** The help text of a command group, generated from its subcommands. */
export function groupHelp(name: string, about: string, subs: Record<string, Subcommand>): string {
  const lines = [`Usage: kiln ${name} <command> [options]`, "", about, "", "Commands:"];
  const usage = Object.entries(subs).map(([k, s]) => `${k} ${s.args}`.trim());
  const width = Math.max(...usage.map((u) => u.length)) + 2;
  Object.values(subs).forEach((s, i) => lines.push(`  ${usage[i].padEnd(width)}${s.summary}`));
  for (const [k, s] of Object.entries(subs)) {
    if (!s.options) continue;
    lines.push("", `Options of ${k}:`, ...optionLines(s.options));
  }
  lines.push("", "Options:", ...optionLines(COMMON_OPTIONS));
  return lines.join("\n");
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([k, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ""}--${k}${o.type === "string" ? " X" : ""}`;
    return `  ${flag.padEnd(22)}${o.help}${o.multiple ? " (repeatable)" : ""}`;
  });
}

function toParseArgs(options: Record<string, OptionSpec>) {
  return Object.fromEntries(
    Object.entries(options).map(([k, o]) => [
      k,
      {
        type: o.type,
        ...(o.short ? { short: o.short } : {}),
        ...(o.multiple ? { multiple: true } : {}),
      },
    ]),
  );
}

/** Runs `kiln NAME …`: finds the subcommand, checks its arguments and options, runs it. */
export async function runGroup(
  name: string,
  about: string,
  subs: Record<string, Subcommand>,
  argv: string[],
  io: Io,
): Promise<number> {
  const all = Object.assign({}, COMMON_OPTIONS, ...Object.values(subs).map((s) => s.options ?? {}));
  const first = parseArgs({ args: argv, allowPositionals: true, options: toParseArgs(all) });
  const [subName] = first.positionals;
  const help = groupHelp(name, about, subs);
  if (first.values.help || !subName) {
    io.out(help);
    return first.values.help ? EXIT.OK : EXIT.USAGE;
  }
  const sub = Object.hasOwn(subs, subName) ? subs[subName] : undefined;
  if (!sub) throw new CliError(`unknown command "${name} ${subName}"; see kiln ${name} --help`, 2);
  // Strict again with only this subcommand's options: another one's flag is misuse here.
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: toParseArgs({ ...COMMON_OPTIONS, ...sub.options }),
  });
  const args = positionals.slice(1);
  const words = sub.args.split(/\s+/).filter(Boolean);
  const required = words.filter((w) => !w.startsWith("[")).length;
  const variadic = words.some((w) => w.includes("..."));
  if (args.length < required || (!variadic && args.length > words.length)) {
    throw new CliError(`usage: kiln ${name} ${subName} ${sub.args}`.trim(), EXIT.USAGE);
  }
  const json = values.json === true;
  let resolved: Remote | undefined;
  const remote = async () => resolved ??= await resolveRemote(values);
  return await sub.run({
    args,
    opts: values as Context["opts"],
    json,
    io,
    print: printer(io, json),
    remote,
    api: async (method, path, body) => callApi(await remote(), method, path, body),
  });
}

/**
 * Where to connect: `--url`/`--token` first, then an explicit `--profile`, then
 * `$KILN_URL`/`$KILN_ADMIN_TOKEN`, then the `$KILN_PROFILE` or `default` profile.
 */
export async function resolveRemote(values: Record<string, unknown>): Promise<Remote> {
  const explicit = values.profile as string | undefined;
  if (!explicit && typeof values.url === "string" && typeof values.token === "string") {
    return { url: values.url, token: values.token };
  }
  const name = explicit ?? (Deno.env.get("KILN_PROFILE") || "default");
  const profiles = await readProfiles();
  const saved = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
  if (explicit && !saved) {
    throw new CliError(`no profile "${explicit}": save one with kiln login --profile`, EXIT.USAGE);
  }
  const env = explicit ? {} : {
    // An empty variable counts as unset.
    url: Deno.env.get("KILN_URL") || undefined,
    token: Deno.env.get("KILN_ADMIN_TOKEN") || undefined,
  };
  return {
    url: (values.url as string | undefined) ?? env.url ?? saved?.url ?? DEFAULT_URL,
    token: (values.token as string | undefined) ?? env.token ?? saved?.token,
  };
}

/** Parses a JSON argument, or fails with a usage error naming the option. */
export function jsonArg(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what} is not JSON: ${(err as Error).message}`, EXIT.USAGE);
  }
}
