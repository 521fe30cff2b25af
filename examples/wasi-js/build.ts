/**
 * Builds the greeter component from `src/greeter.js` with componentize-js (run through `npx`,
 * pinned below) and writes it into `state/components/` as Kiln stores components: base64 text,
 * split into parts under the per-file definition budget, listed by `greeter.wasm.parts`.
 *
 *   deno task example:wasi          # or: deno run -A examples/wasi-js/build.ts
 *
 * The component embeds the StarlingMonkey engine (~12 MB), so it is built rather than checked
 * in. A build takes a minute or more; its result is cached by the hash of the source, the WIT and
 * the componentize-js version under `$KILN_CI_HOME/cache/wasi-js` (default `~/.kiln-ci`).
 */
/** The componentize-js release the example is built and tested with. */
export const COMPONENTIZE_JS = "@bytecodealliance/componentize-js@0.23.0";

/** Characters of base64 per part: under `definition.bytes` (1 MiB) with room to spare. */
export const PART_CHARS = 768 << 10;

const HERE = new URL("./", import.meta.url);
const path = (rel: string) => new URL(rel, HERE).pathname;

/** Builds (or takes from the cache) the component; answers its bytes and whether it was cached. */
export async function buildGreeter(
  log: (line: string) => void = console.error,
): Promise<{ bytes: Uint8Array; cached: boolean; ms: number }> {
  const started = performance.now();
  const source = await Deno.readTextFile(path("src/greeter.js"));
  const wit = await Deno.readTextFile(path("wit/handler.wit"));
  const key = await sha256Hex(`${COMPONENTIZE_JS}\0${source}\0${wit}`);
  const home = Deno.env.get("KILN_CI_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.kiln-ci`;
  const cacheDir = `${home}/cache/wasi-js`;
  const cached = `${cacheDir}/${key.slice(0, 32)}.wasm`;
  try {
    const bytes = await Deno.readFile(cached);
    return { bytes, cached: true, ms: performance.now() - started };
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(cacheDir, { recursive: true });
  const out = `${cached}.${crypto.randomUUID()}.tmp`;
  log(`building ${cached} with ${COMPONENTIZE_JS} (a minute or more)`);
  const run = await new Deno.Command("npx", {
    args: [
      "-y",
      COMPONENTIZE_JS,
      path("src/greeter.js"),
      "--wit",
      path("wit"),
      "--world-name",
      "handler",
      // No fetch(): the wasm tier offers no network, and a component importing it is refused.
      "--disable",
      "http",
      "fetch-event",
      "--out",
      out,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!run.success) {
    await Deno.remove(out).catch(() => {});
    const text = new TextDecoder().decode(run.stderr) + new TextDecoder().decode(run.stdout);
    throw new Error(`componentize-js failed (exit ${run.code}):\n${text.slice(-4000)}`);
  }
  await Deno.rename(out, cached);
  return { bytes: await Deno.readFile(cached), cached: false, ms: performance.now() - started };
}

/** The state files holding `bytes`: the parts manifest and its parts, by path under `state/`. */
export function componentFiles(bytes: Uint8Array, stem = "greeter"): Record<string, string> {
  const text = encodeBase64(bytes);
  const files: Record<string, string> = {};
  const names: string[] = [];
  for (let i = 0, n = 0; i < text.length; i += PART_CHARS, n++) {
    const name = `${stem}.wasm.${String(n).padStart(3, "0")}.b64`;
    names.push(name);
    files[`components/${name}`] = text.slice(i, i + PART_CHARS) + "\n";
  }
  files[`components/${stem}.wasm.parts`] = ["# kiln wasm parts", ...names, ""].join("\n");
  return files;
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

if (import.meta.main) {
  const { bytes, cached, ms } = await buildGreeter();
  const dir = path("state/components/");
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const files = componentFiles(bytes);
  for (const [name, content] of Object.entries(files)) {
    await Deno.writeTextFile(path(`state/${name}`), content);
  }
  console.log(
    `greeter: ${bytes.length} bytes in ${Object.keys(files).length - 1} parts ` +
      `(${cached ? "cached" : "built"}, ${Math.round(ms)} ms)`,
  );
}
