import type { Logger } from "../core/mod.ts";
import type { AppSnapshot, Registry } from "../registry/mod.ts";
import {
  type AppInvoker,
  type AppTool,
  appToolsOf,
  parseAppToolName,
  type ReadsOnly,
} from "./app_tools.ts";

interface Cached {
  snapshot: AppSnapshot;
  tools: AppTool[];
}

/**
 * The `app.<appId>.<componentId>` tools of every serving app, kept in step with the registry.
 * Tools are rebuilt only when an app serves a new snapshot, and listeners hear of a change only
 * when some app's tool list really changed (names, schemas or descriptions), not on every commit.
 * Changes are coalesced in a microtask, so one registry event gives at most one notification.
 */
export class AppToolSet {
  readonly #cache = new Map<string, Cached>();
  readonly #fingerprints = new Map<string, string>();
  readonly #listeners = new Set<() => void>();
  readonly #pending = new Set<string>();
  readonly #unsubscribe: () => void;

  constructor(
    private readonly registry: Registry,
    private readonly log: Logger,
    private readonly invoke: AppInvoker,
    private readonly readsOnly: ReadsOnly,
  ) {
    for (const { appId } of registry.listActiveApplications()) {
      this.#fingerprints.set(appId, fingerprint(this.of(appId)));
    }
    this.#unsubscribe = registry.onAppsChanged((appId) => this.#schedule(appId));
  }

  /** Tools of every serving app, sorted by name. */
  all(): AppTool[] {
    return this.registry.listActiveApplications().flatMap(({ appId }) => this.of(appId));
  }

  /** The tool with this name, if its app serves it now. */
  find(name: string): AppTool | undefined {
    const parsed = parseAppToolName(name);
    return parsed ? this.of(parsed.appId).find((t) => t.listing.name === name) : undefined;
  }

  /** One app's tools; none when it does not serve traffic. */
  of(appId: string): AppTool[] {
    let snapshot: AppSnapshot;
    try {
      const { status } = this.registry.getApplicationStatus(appId);
      if (status !== "ACTIVE" && status !== "DEGRADED") return [];
      snapshot = this.registry.snapshot(appId);
    } catch {
      return [];
    }
    const cached = this.#cache.get(appId);
    if (cached?.snapshot === snapshot) return cached.tools;
    const tools = appToolsOf(appId, snapshot, this.invoke, this.readsOnly).sort((a, b) =>
      a.listing.name < b.listing.name ? -1 : 1
    );
    this.#cache.set(appId, { snapshot, tools });
    return tools;
  }

  onChanged(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  #schedule(appId: string): void {
    if (this.#pending.size === 0) queueMicrotask(() => this.#flush());
    this.#pending.add(appId);
  }

  #flush(): void {
    let changed = false;
    for (const appId of this.#pending) {
      const tools = this.of(appId);
      if (tools.length === 0) this.#cache.delete(appId);
      const next = fingerprint(tools);
      if (next !== (this.#fingerprints.get(appId) ?? fingerprint([]))) changed = true;
      if (tools.length === 0) this.#fingerprints.delete(appId);
      else this.#fingerprints.set(appId, next);
    }
    this.#pending.clear();
    if (!changed) return;
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (err) {
        this.log.warn("tools list-changed listener failed", { error: String(err) });
      }
    }
  }
}

function fingerprint(tools: AppTool[]): string {
  return JSON.stringify(tools.map((t) => t.listing));
}
