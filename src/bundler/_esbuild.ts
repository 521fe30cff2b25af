import type { Loader } from "esbuild-wasm/esm/browser.js";
import { KilnError, LIMITS, quote } from "../core/mod.ts";
import { normalizeDefinitionPath } from "../state/mod.ts";
import { sha256 } from "./_hash.ts";
import { EsbuildTimeout, runEsbuild } from "./_esbuild_host.ts";
import type { EsbuildMessage, JobResult, PluginAnswer, PluginCall } from "./_esbuild_protocol.ts";

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

/** Overrides for one build (tests use a tiny deadline). */
export interface BuildOptions {
  /** Longest the build may run on the esbuild worker (ms); `LIMITS["bundle.ms"]` by default. */
  deadlineMs?: number;
}

/**
 * Bundles one component script into a self-contained ES module. Only `kiln:sdk` and files of the
 * same app revision (relative paths, confined to `state/`) may be imported: sandboxed code gets
 * no packages, no network modules and no host files, so what runs is exactly what Git holds.
 * esbuild runs on its worker thread; the imports it meets are resolved and read here.
 */
export async function bundleEsm(
  entry: string,
  read: ReadFile,
  opts: BuildOptions = {},
): Promise<EsmBundle> {
  const inputs = new Map<string, string>();
  const deadlineMs = opts.deadlineMs ?? LIMITS["bundle.ms"];
  let result: JobResult;
  try {
    result = await runEsbuild(
      {
        op: "build",
        options: {
          entryPoints: [entry],
          bundle: true,
          format: "esm",
          platform: "neutral",
          target: "es2022",
          logLevel: "silent",
          legalComments: "none",
          charset: "utf8",
        },
      },
      deadlineMs,
      appFiles(read, inputs),
    );
  } catch (err) {
    throw buildFailed(entry, err);
  }
  if (result.op !== "build") throw new Error("the esbuild worker answered another job");
  return { source: result.text, exports: result.exports, inputs };
}

/**
 * Turns an ESM bundle into a classic script that leaves its exports on `globalThis.__kilnModule`,
 * for tiers that evaluate scripts rather than modules.
 */
export async function esmToIife(
  entry: string,
  esm: string,
  opts: BuildOptions = {},
): Promise<string> {
  let result: JobResult;
  try {
    result = await runEsbuild(
      {
        op: "transform",
        input: esm,
        options: {
          format: "iife",
          globalName: IIFE_GLOBAL,
          loader: "js",
          target: "es2022",
          charset: "utf8",
          footer: `globalThis.${IIFE_GLOBAL} = ${IIFE_GLOBAL};`,
        },
      },
      opts.deadlineMs ?? LIMITS["bundle.ms"],
      noPlugin,
    );
  } catch (err) {
    throw buildFailed(entry, err);
  }
  if (result.op !== "transform") throw new Error("the esbuild worker answered another job");
  return result.code;
}

const noPlugin = () => Promise.reject(new Error("a transform has no imports to resolve"));

/** The app-files plugin's answers: what esbuild may import, and the revision's files. */
function appFiles(read: ReadFile, inputs: Map<string, string>) {
  return async (call: PluginCall): Promise<PluginAnswer> => {
    if (call.op === "resolve") return resolveImport(call.path, call.importer, call.kind);
    if (call.namespace === "kiln-sdk") return { contents: SDK_SOURCE, loader: "ts" };
    const loader = LOADERS[call.path.split(".").pop()!.toLowerCase()];
    if (!loader) {
      return {
        errors: [{
          text: `cannot import ${quote(call.path)}: only .ts, .tsx, .js, .jsx, .mjs, .mts ` +
            `and .json files of the app can be imported`,
        }],
      };
    }
    const contents = await read(call.path);
    if (contents === null) {
      return { errors: [{ text: `${quote(call.path)} does not exist at this revision` }] };
    }
    inputs.set(call.path, sha256(contents));
    return { contents, loader };
  };
}

function resolveImport(path: string, importer: string, kind: string): PluginAnswer {
  if (kind === "entry-point") return { path, namespace: "app" };
  if (path === "kiln:sdk") return { path: "kiln:sdk", namespace: "kiln-sdk" };
  if (path.startsWith("./") || path.startsWith("../")) {
    const resolved = resolveRelative(path, importer);
    return typeof resolved === "string"
      ? { path: resolved, namespace: "app" }
      : { errors: [{ text: resolved.error }] };
  }
  return { errors: [{ text: refusal(path) }] };
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

function buildFailed(entry: string, err: unknown): KilnError {
  if (err instanceof KilnError) return err;
  if (err instanceof EsbuildTimeout) {
    // The app's own code (its size, its imports) took the build past the budget: a component
    // fault, never the caller's. A revision's code never changes, so neither would a retry.
    return new KilnError(
      "COMPONENT_BUILD_FAILED",
      `script ${quote(entry)} did not build within ${err.deadlineMs} ms (limit "bundle.ms")`,
      {
        script: entry,
        limit: "bundle.ms",
        reason: "timeout",
        limitMs: err.deadlineMs,
        errors: [{ message: err.message }],
      },
    );
  }
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
