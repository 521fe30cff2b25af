import { KilnError, quote } from "../core/mod.ts";
import type { ExecutionCode, TierDriver } from "../sandbox/mod.ts";
import type { StateManager } from "../state/mod.ts";
import { bundleEsm, type EsmBundle, esmToIife, type ReadFile } from "./_esbuild.ts";
import { sha256 } from "./_hash.ts";
import { Lru } from "./_lru.ts";
import { componentBytes } from "./_wasm_text.ts";

/** `taskDetails` of a jit component, as the registry validated them. */
export interface JitTask {
  script: string;
  function: string;
  language: "typescript" | "javascript" | "python" | "wasm";
}

/** Which component code to load: an app revision, the task, and what the chosen tier runs. */
export interface CodeRequest {
  appId: string;
  revision: string;
  task: JitTask;
  accepts: TierDriver["accepts"];
}

/** Counters for tests and the metric collector. */
export interface BundlerStats {
  /** esbuild bundles made (a new script content, or new content of a file it imports). */
  builds: number;
  /** Loads answered from an earlier revision's bundle because no input changed. */
  contentHits: number;
  /** Loads answered from the per-revision memo. */
  revisionHits: number;
}

interface CachedBuild extends EsmBundle {
  entryPath: string;
}

/** The last load of one task object, checked field by field before it is reused. */
interface TaskMemo {
  appId: string;
  revision: string;
  script: string;
  function: string;
  language: string;
  format: Format;
  loading: Promise<ExecutionCode>;
}

const MAX_VARIANTS = 4;

/**
 * The code loader: turns a component's script, read through the state manager at the revision
 * the app serves, into `ExecutionCode` for the chosen tier. Bundles are cached by
 * the content hash of every file that went in, so a new revision takes effect on its first
 * request without a restart while a script no commit touched is never rebuilt.
 */
export class CodeBundler {
  readonly #state: Pick<StateManager, "getDefinitionFileContent">;
  readonly #byRevision: Lru<string, Promise<ExecutionCode>>;
  readonly #byContent: Lru<string, CachedBuild[]>;
  readonly #iife = new Lru<string, Promise<string>>(256);
  /**
   * The serving snapshot hands every request of a component the same `taskDetails` object: the
   * memo on it answers a repeat load without building and hashing the joined key.
   */
  readonly #byTask = new WeakMap<JitTask, TaskMemo>();
  readonly #stats: BundlerStats = { builds: 0, contentHits: 0, revisionHits: 0 };

  constructor(
    state: Pick<StateManager, "getDefinitionFileContent">,
    opts: { maxEntries?: number } = {},
  ) {
    this.#state = state;
    this.#byRevision = new Lru(opts.maxEntries ?? 1024);
    this.#byContent = new Lru(opts.maxEntries ?? 1024);
  }

  /** The code of one component at one revision, in the form the tier accepts. */
  load(req: CodeRequest): Promise<ExecutionCode> {
    let format: Format;
    try {
      format = formatFor(req);
    } catch (err) {
      return Promise.reject(err);
    }
    const { appId, revision, task } = req;
    const last = this.#byTask.get(task);
    if (
      last && last.appId === appId && last.revision === revision && last.format === format &&
      last.script === task.script && last.function === task.function &&
      last.language === task.language
    ) {
      this.#stats.revisionHits++;
      return last.loading;
    }
    const key = [appId, revision, task.script, task.function, task.language, format].join("\0");
    let loading = this.#byRevision.get(key);
    if (loading) this.#stats.revisionHits++;
    else {
      const compiling = this.#compile(req, format);
      loading = compiling;
      this.#byRevision.set(key, compiling);
      compiling.catch((err) => {
        // A revision never changes, so a build error stays true; anything else may be transient.
        if (!(err instanceof KilnError && err.code === "COMPONENT_BUILD_FAILED")) {
          this.#byRevision.delete(key);
          if (this.#byTask.get(task)?.loading === compiling) this.#byTask.delete(task);
        }
      });
    }
    const { script, function: fn, language } = task;
    this.#byTask.set(task, { appId, revision, script, function: fn, language, format, loading });
    return loading;
  }

  stats(): BundlerStats {
    return { ...this.#stats };
  }

  async #compile(req: CodeRequest, format: Format): Promise<ExecutionCode> {
    const { task } = req;
    const read = this.#reader(req.appId, req.revision);
    const source = await read(task.script);
    if (source === null) {
      throw new KilnError(
        "COMPONENT_BUILD_FAILED",
        `script ${quote(task.script)} does not exist at revision ${req.revision.slice(0, 12)}`,
        { script: task.script, revision: req.revision },
      );
    }
    const entry = task.function;
    if (format === "python") {
      return { kind: "python", source, entry, hash: sha256(`python\0${source}`) };
    }
    if (format === "wasm-component") {
      const bytes = await componentBytes(task.script, source, read);
      return { kind: "wasm-component", bytes, entry, hash: sha256(bytes) };
    }
    const bundle = await this.#bundle(req.appId, task.script, source, read);
    if (!bundle.exports.includes(entry)) {
      throw new KilnError(
        "COMPONENT_BUILD_FAILED",
        `script ${quote(task.script)} has no export named ${quote(entry)} (it exports ${
          bundle.exports.length ? bundle.exports.join(", ") : "nothing"
        })`,
        { script: task.script, function: entry, exports: bundle.exports },
      );
    }
    const text = format === "esm" ? bundle.source : await this.#toIife(task.script, bundle.source);
    return { kind: "javascript", format, source: text, entry, hash: sha256(`${format}\0${text}`) };
  }

  async #bundle(appId: string, script: string, source: string, read: ReadFile) {
    const key = `${appId}\0${script}\0${sha256(source)}`;
    const variants = this.#byContent.get(key) ?? [];
    for (const variant of variants) {
      if (await this.#unchanged(variant, read)) {
        this.#stats.contentHits++;
        return variant;
      }
    }
    const built: CachedBuild = { ...(await bundleEsm(script, read)), entryPath: script };
    this.#stats.builds++;
    this.#byContent.set(key, [built, ...variants].slice(0, MAX_VARIANTS));
    return built;
  }

  /** Whether every file an earlier bundle imported still has the same content. */
  async #unchanged(build: CachedBuild, read: ReadFile): Promise<boolean> {
    for (const [path, hash] of build.inputs) {
      if (path === build.entryPath) continue;
      const content = await read(path).catch(() => null);
      if (content === null || sha256(content) !== hash) return false;
    }
    return true;
  }

  #toIife(script: string, esm: string): Promise<string> {
    const key = sha256(esm);
    let out = this.#iife.get(key);
    if (!out) {
      out = esmToIife(script, esm);
      this.#iife.set(key, out);
      out.catch(() => this.#iife.delete(key));
    }
    return out;
  }

  #reader(appId: string, revision: string): ReadFile {
    return async (path) => {
      const file = await this.#state.getDefinitionFileContent(appId, path, revision);
      return file.found ? file.content ?? "" : null;
    };
  }
}

type Format = "esm" | "iife" | "wasm-component" | "python";

function formatFor({ task, accepts }: CodeRequest): Format {
  const cannot = (what: string) =>
    new KilnError("TIER_UNAVAILABLE", `the chosen tier cannot run ${what}`, {
      language: task.language,
      accepts,
    });
  switch (task.language) {
    case "typescript":
    case "javascript":
      if (!accepts.javascript) throw cannot("JavaScript");
      return accepts.javascript;
    case "wasm":
      if (!accepts.wasmComponent) throw cannot("WebAssembly components");
      return "wasm-component";
    case "python":
      if (!accepts.python) throw cannot("Python");
      return "python";
  }
}
