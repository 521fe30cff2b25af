import { join, relative, resolve, sep } from "node:path";
import { KilnError, quote, yamlValueOrThrowAsync } from "../core/mod.ts";
import { readAppSource, type Registry, stateDirFiles } from "../registry/mod.ts";
import { type LocatedIssue, locateIssues } from "./_dev_issues.ts";

/** What one reload came to: the revision now served, or why the save is not served. */
export type ReloadEvent =
  | {
    ok: true;
    appId: string;
    revision: string;
    /** False when the tree equals the served revision (a save that changed nothing). */
    changed: boolean;
    /** From the first file event of the save (or the call) to the new revision being served. */
    ms: number;
  }
  | {
    ok: false;
    issues: LocatedIssue[];
    /** The revision that keeps answering, null before any valid tree was served. */
    servedRevision: string | null;
    ms: number;
  };

/** How a dev loop is set up. */
export interface DevLoopOptions {
  /** The app directory (the one holding `state/`). */
  dir: string;
  registry: Registry;
  /** The author of the snapshot commits in Kiln's own repository. */
  author?: string;
  /** Quiet time after the last file event before reloading (default 15 ms). */
  debounceMs?: number;
  /** The longest a burst of events may hold a reload back (default 100 ms). */
  maxWaitMs?: number;
  onReload(event: ReloadEvent): void;
  /** A file under `cassettes/` changed. */
  onCassettes?(): void;
}

const AUTHOR = "kiln dev <kiln-dev@localhost>";

/**
 * The edit → serve loop of `kiln dev`: snapshots `DIR/state/` into the app's repository in
 * Kiln's data dir (the same validated commit `PUT /v1/apps/{id}` makes), so the registry serves
 * it at once, or reports each problem with its file and line while the last valid revision keeps
 * serving. It reads DIR and never writes there, so the author's own Git repository is untouched.
 * `watch()` reloads on every save, debounced: an editor's save is a burst of events.
 */
export class DevLoop {
  readonly dir: string;
  #appId: string | null = null;
  #served: string | null = null;
  #watcher: Deno.FsWatcher | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #burstStart: number | null = null;
  #lastEvent = 0;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: DevLoopOptions) {
    this.dir = resolve(opts.dir);
  }

  /** The app being served, once a valid tree was. */
  get appId(): string | null {
    return this.#appId;
  }

  /** Reloads now (serialized after any reload in progress) and reports it. */
  reload(since = performance.now()): Promise<ReloadEvent> {
    const next = this.#chain.then(() => this.#reload(since));
    this.#chain = next.catch(() => {});
    return next.then((event) => {
      this.opts.onReload(event);
      return event;
    });
  }

  /** Starts watching DIR for saves under `state/` and `cassettes/`. */
  watch(): void {
    if (this.#watcher) return;
    this.#watcher = Deno.watchFs(this.dir, { recursive: true });
    void (async () => {
      try {
        for await (const event of this.#watcher!) {
          if (event.kind === "access") continue;
          const areas = new Set(event.paths.map((p) => areaOf(relative(this.dir, p))));
          if (areas.has("cassettes")) this.opts.onCassettes?.();
          if (areas.has("state")) this.#schedule();
        }
      } catch (err) {
        if (err instanceof Deno.errors.BadResource) return;
        // DIR went away or the watch failed: said once; what is served stays served.
        this.opts.onReload({
          ok: false,
          issues: [{ file: this.dir, message: `watching stopped: ${(err as Error).message}` }],
          servedRevision: this.#served,
          ms: 0,
        });
      }
    })();
  }

  /** Stops watching and waits for a reload in progress. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    try {
      this.#watcher?.close();
    } catch { /* closed */ }
    this.#watcher = null;
    await this.#chain;
  }

  #schedule(): void {
    const now = performance.now();
    this.#burstStart ??= now;
    this.#lastEvent = now;
    if (this.#timer !== undefined) return;
    const debounce = this.opts.debounceMs ?? 15;
    const maxWait = this.opts.maxWaitMs ?? 100;
    const fire = () => {
      const t = performance.now();
      const quietFor = t - this.#lastEvent;
      if (quietFor < debounce && t - this.#burstStart! < maxWait) {
        this.#timer = setTimeout(fire, debounce - quietFor);
        return;
      }
      const since = this.#burstStart!;
      this.#timer = undefined;
      this.#burstStart = null;
      void this.reload(since);
    };
    this.#timer = setTimeout(fire, debounce);
  }

  async #reload(since: number): Promise<ReloadEvent> {
    let files = new Map<string, string>();
    const { registry } = this.opts;
    try {
      // Held to the registration budgets (file count, sizes, UTF-8) once read.
      files = await readAppSource({ files: await readStateDir(join(this.dir, "state")) });
      const appId = await declaredAppId(files.get("app_definition.yaml")!);
      const source = { files: Object.fromEntries(files) };
      const author = this.opts.author ?? AUTHOR;
      const known = appId !== undefined &&
        registry.listApplications().some((a) => a.appId === appId);
      const details = known
        ? await registry.updateApplication(appId, source, author)
        : await registry.registerApplication(source, author);
      const revision = details.revision!;
      const changed = revision !== this.#served || details.appId !== this.#appId;
      this.#appId = details.appId;
      this.#served = revision;
      return { ok: true, appId: details.appId, revision, changed, ms: performance.now() - since };
    } catch (err) {
      return {
        ok: false,
        issues: await locateIssues(err, files),
        servedRevision: this.#served,
        ms: performance.now() - since,
      };
    }
  }
}

/** `state` or `cassettes` for a path under DIR, else null. */
function areaOf(rel: string): "state" | "cassettes" | null {
  const first = rel.split(sep)[0];
  return first === "state" || first === "cassettes" ? first : null;
}

/** The appId app_definition.yaml declares, if it can be read; registration reports the rest. */
async function declaredAppId(text: string): Promise<string | undefined> {
  try {
    const value = await yamlValueOrThrowAsync(text, "state/app_definition.yaml");
    const id = (value as { appId?: unknown } | null)?.appId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Editors' companions of a file being edited: vim's swap files and its `4913` write probe, emacs
 * autosaves and lock links, backups. They come and go while the author types; they are not part
 * of the app, and emacs's lock is a symlink, which registration refuses.
 */
const EDITOR_FILE = /^(?:\..*\.sw[a-p]|4913|#.*#|\.#.*|.*~|\.DS_Store)$/;

/** `state/`'s files as registration reads a directory, without the editors' own files. */
async function readStateDir(root: string): Promise<Record<string, string>> {
  try {
    if (!(await Deno.lstat(root)).isDirectory) throw new Error("not a directory");
  } catch {
    throw new KilnError("VALIDATION_ERROR", `${quote(root)} is not an app's state/ folder`);
  }
  const files: Record<string, string> = {};
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for await (const { rel, abs } of stateDirFiles(root, (name) => EDITOR_FILE.test(name))) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(abs);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // removed while we walked
      throw err;
    }
    try {
      files[rel] = decoder.decode(bytes);
    } catch {
      throw new KilnError("VALIDATION_ERROR", `${quote(`state/${rel}`)} is not UTF-8 text`);
    }
  }
  return files;
}
