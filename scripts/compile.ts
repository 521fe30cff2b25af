/**
 * `deno task compile [--target TRIPLE …] [--release]`: builds Kiln as one self-contained binary —
 * `dist/kiln` for this machine, or `dist/kiln-<triple>` per `--target` (`--release`: every
 * target in `RELEASE_TARGETS`). The binary is Kiln's own isolate host and prompt renderer (hidden
 * subcommands), so it needs nothing beside it. `deno compile` fetches each target's runtime base
 * (denort) from dl.deno.land; offline it fails with a network error buried in a chain, so this
 * wrapper names the cause and the way out (`DENORT_BIN`, which `deno compile` honours for the
 * host target). See docs/deploy.md.
 */
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The release binaries: Deno publishes a runtime base for each. */
export const RELEASE_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
] as const;

const OFFLINE = "deno compile needs to download the denort runtime from dl.deno.land, which this " +
  "machine cannot reach; run it on a machine with internet access, or set DENORT_BIN to a local " +
  "denort binary";

/** True when `deno compile` failed fetching denort rather than on the program itself. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /dl\.deno\.land|denort/i.test(stderr) &&
    /error sending request|dns error|connect|timed out|base binary|download/i.test(stderr);
}

/** Modules Kiln starts as workers from a file URL (the others run from embedded bundles). */
export const WORKER_ENTRIES = ["src/sandbox/wasm/component/_jco_worker.ts"];

/** The `deno compile` arguments for one target (`null`: this machine's). */
export function compileArgs(target: string | null): string[] {
  const output = target ? `dist/kiln-${target}` : "dist/kiln";
  return [
    "compile",
    "--allow-all",
    ...(target ? ["--target", target] : []),
    "--output",
    output,
    // Worker entries load by URL at run time, which `deno compile` does not follow by itself.
    ...WORKER_ENTRIES.flatMap((entry) => ["--include", entry]),
    "src/main.ts",
  ];
}

async function compileOne(root: string, target: string | null, denort?: string): Promise<number> {
  const args = compileArgs(target);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const [shown, kept] = child.stderr.tee();
  const [stderr] = await Promise.all([
    new Response(kept).text(),
    shown.pipeTo(Deno.stderr.writable, { preventClose: true }),
  ]);
  const { code } = await child.status;
  if (code === 0) {
    console.log(`built ${args[args.indexOf("--output") + 1]}`);
    return 0;
  }
  if (!denort && isRuntimeDownloadFailure(stderr)) console.error(`\nkiln compile: ${OFFLINE}`);
  else console.error(`\nkiln compile: deno ${args.join(" ")} exited with ${code}`);
  return code || 1;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: "string", multiple: true },
      release: { type: "boolean", default: false },
    },
  });
  const targets: (string | null)[] = values.release
    ? [...RELEASE_TARGETS]
    : values.target?.length
    ? values.target
    : [null];
  for (const target of targets) {
    if (target !== null && !(RELEASE_TARGETS as readonly string[]).includes(target)) {
      console.error(`unknown --target "${target}"; one of: ${RELEASE_TARGETS.join(", ")}`);
      return 2;
    }
  }
  const root = fileURLToPath(new URL("..", import.meta.url));
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      if (!(await Deno.stat(denort)).isFile) throw new Error("not a file");
    } catch {
      console.error(`DENORT_BIN is set to "${denort}", which is not a file`);
      return 1;
    }
    console.error(`using DENORT_BIN=${denort}`);
  }
  for (const target of targets) {
    const code = await compileOne(root, target, denort);
    if (code !== 0) return code;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
