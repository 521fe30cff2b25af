/**
 * `deno task compile`: builds the single `dist/kiln` binary. `deno compile` fetches its runtime
 * base (denort) from dl.deno.land, so offline it fails with a network error buried in a chain;
 * this wrapper names the cause and the way out (`DENORT_BIN`, which `deno compile` honours).
 */
import { fileURLToPath } from "node:url";

const OFFLINE = "deno compile needs to download the denort runtime from dl.deno.land, which this " +
  "machine cannot reach; run it on a machine with internet access, or set DENORT_BIN to a local " +
  "denort binary";

/** True when `deno compile` failed fetching denort rather than on the program itself. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /dl\.deno\.land|denort/i.test(stderr) &&
    /error sending request|dns error|connect|timed out|base binary|download/i.test(stderr);
}

async function main(): Promise<number> {
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
  const args = ["compile", "--allow-all", "--output", "dist/kiln", "src/main.ts"];
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
    console.log("built dist/kiln");
    return 0;
  }
  if (!denort && isRuntimeDownloadFailure(stderr)) console.error(`\nkiln compile: ${OFFLINE}`);
  else console.error(`\nkiln compile: deno ${args.join(" ")} exited with ${code}`);
  return code || 1;
}

if (import.meta.main) Deno.exit(await main());
