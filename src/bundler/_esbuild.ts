import type { BuildResult, Loader, Plugin } from "esbuild-wasm/esm/browser.js";
import { KilnError, quote } from "../core/mod.ts";
import { normalizeDefinitionPath } from "../state/mod.ts";
import { sha256 } from "./_hash.ts";

/** The source of `kiln:sdk` (TypeScript, embedded): it reads the `globalThis.__kiln` tiers set. */
export { default as SDK_MODULE } from "../../isolates/sdk.ts" with { type: "text" };
import SDK_SOURCE from "../../isolates/sdk.ts" with { type: "text" };

/** The global an `iife` bundle assigns its exports to (what the QuickJS tier reads). */
export const IIFE_GLOBAL = "__kilnModule";

/** Reads a file of the revision being built; null when it does not exist. */
export type ReadFile = (path: string) => Promise<string | null>;

/** An ESM bundle and what went into it. */
export interface EsmBundle {
  source: string;
  /** Names the bundle exports. */
  exports: string[];
  /** Every app file read, by path, with the SHA-256 of its content. */
  inputs: Map<string, string>;
}

const LOADERS: Record<string, Loader> = {
  ts: "ts",
  mts: "ts",
  tsx: "tsx",
  js: "js",
  mjs: "js",
  jsx: "jsx",
  json: "json",
};

type Esbuild = typeof import("esbuild-wasm/esm/browser.js");
let ready: Promise<Esbuild> | null = null;

/**
 * esbuild's wasm build starts once per process, on the first build (~100 ms), never at import:
 * its code and its compiled module (tens of MB resident) load only when something is built.
 * The specifiers stay literal so `deno compile` embeds them.
 */
function initialize(): Promise<Esbuild> {
  ready ??= Promise.all([import("esbuild-wasm/esm/browser.js"), import("./_esbuild_wasm.js")])
    .then(async ([esbuild, wasm]) => {
      await esbuild.initialize({ wasmModule: wasm.default, worker: false });
      return esbuild;
    }).catch((err) => {
      ready = null;
      throw err;
    });
  return ready;
}

/**
 * Bundles one component script into a self-contained ES module. Only `kiln:sdk` and files of the
 * same app revision (relative paths, confined to `state/`) may be imported: sandboxed code gets
 * no packages, no network modules and no host files, so what runs is exactly what Git holds.
 */
export async function bundleEsm(entry: string, read: ReadFile): Promise<EsmBundle> {
  const esbuild = await initialize();
  const inputs = new Map<string, string>();
  let result: BuildResult<{ metafile: true; write: false }>;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      metafile: true,
      logLevel: "silent",
      legalComments: "none",
      charset: "utf8",
      plugins: [appFilesPlugin(read, inputs)],
    });
  } catch (err) {
    throw buildFailed(entry, err);
  }
  const output = Object.values(result.metafile.outputs)[0];
  return { source: result.outputFiles[0].text, exports: output?.exports ?? [], inputs };
}

/**
 * Turns an ESM bundle into a classic script that leaves its exports on `globalThis.__kilnModule`,
 * for tiers that evaluate scripts rather than modules.
 */
export async function esmToIife(entry: string, esm: string): Promise<string> {
  const esbuild = await initialize();
  try {
    const out = await esbuild.transform(esm, {
      format: "iife",
      globalName: IIFE_GLOBAL,
      loader: "js",
      target: "es2022",
      charset: "utf8",
      footer: `globalThis.${IIFE_GLOBAL} = ${IIFE_GLOBAL};`,
    });
    return out.code;
  } catch (err) {
    throw buildFailed(entry, err);
  }
}

function appFilesPlugin(read: ReadFile, inputs: Map<string, string>): Plugin {
  return {
    name: "kiln-app-files",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === "entry-point") return { path: args.path, namespace: "app" };
        if (args.path === "kiln:sdk") return { path: "kiln:sdk", namespace: "kiln-sdk" };
        if (args.path.startsWith("./") || args.path.startsWith("../")) {
          const resolved = resolveRelative(args.path, args.importer);
          return typeof resolved === "string"
            ? { path: resolved, namespace: "app" }
            : { errors: [{ text: resolved.error }] };
        }
        return { errors: [{ text: refusal(args.path) }] };
      });
      build.onLoad({ filter: /.*/, namespace: "kiln-sdk" }, () => ({
        contents: SDK_SOURCE,
        loader: "ts",
      }));
      build.onLoad({ filter: /.*/, namespace: "app" }, async (args) => {
        const loader = LOADERS[args.path.split(".").pop()!.toLowerCase()];
        if (!loader) {
          return {
            errors: [{
              text: `cannot import ${quote(args.path)}: only .ts, .tsx, .js, .jsx, .mjs, .mts ` +
                `and .json files of the app can be imported`,
            }],
          };
        }
        const contents = await read(args.path);
        if (contents === null) {
          return { errors: [{ text: `${quote(args.path)} does not exist at this revision` }] };
        }
        inputs.set(args.path, sha256(contents));
        return { contents, loader };
      });
    },
  };
}

/** `./x` or `../x` against the importing file, kept inside `state/`. */
function resolveRelative(spec: string, importer: string): string | { error: string } {
  const parts = importer.split("/").slice(0, -1);
  for (const segment of spec.split("/")) {
    if (segment === "." || segment === "") continue;
    if (segment !== "..") parts.push(segment);
    else if (parts.length > 0) parts.pop();
    else return { error: `import ${quote(spec)} escapes the app's state/ tree` };
  }
  try {
    return normalizeDefinitionPath(parts.join("/"));
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function refusal(spec: string): string {
  const kind = /^(npm|jsr|node|https?|file|data|blob):/i.exec(spec)?.[1].toLowerCase();
  const what = kind
    ? `${kind}: imports are`
    : spec.startsWith("/")
    ? "absolute paths are"
    : "bare package imports are";
  return `import ${quote(spec)} is not allowed: ${what} refused; component code may import ` +
    `"kiln:sdk" and files of its own app by relative path`;
}

interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

function buildFailed(entry: string, err: unknown): KilnError {
  const raw = (err as { errors?: EsbuildMessage[] }).errors;
  if (!Array.isArray(raw)) {
    return new KilnError("COMPONENT_BUILD_FAILED", `script ${quote(entry)} does not build`, {
      script: entry,
      errors: [{ message: String((err as Error)?.message ?? err) }],
    }, { cause: err });
  }
  const errors = raw.map((e) => ({
    message: e.text,
    ...(e.location
      ? {
        file: e.location.file.replace(/^app:/, ""),
        line: e.location.line,
        column: e.location.column,
      }
      : {}),
  }));
  const first = errors[0];
  const where = "file" in first ? `${first.file}:${first.line}:${first.column}: ` : "";
  return new KilnError(
    "COMPONENT_BUILD_FAILED",
    `script ${quote(entry)} does not build: ${where}${first.message}`,
    { script: entry, errors },
  );
}
