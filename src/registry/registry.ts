import {
  type Clock,
  type JsonValue,
  KeyedMutex,
  KilnError,
  type Logger,
  quote,
  silentLogger,
  systemClock,
} from "../core/mod.ts";
import type { AppDefinition, AppStatus } from "../models/mod.ts";
import type { DefinitionIssue, PushedObjects, StateManager, StoreDriver } from "../state/mod.ts";
import type { ApiKeyValidation } from "../auth/mod.ts";
import { ApiKeys } from "./api_keys.ts";
import { type AppSource, readAppSource, type SourceLimits } from "./app_source.ts";
import { type AppSnapshot, buildSnapshot } from "./app_snapshot.ts";
import type { ConfigSource } from "./_config_lookup.ts";
import type { AppDetails, AppRecord, AppStatusInfo, ComponentLookup } from "./types.ts";
import { noPeers, type RegistryPeers } from "./peers.ts";
import { definitionOf, issueSummary, refuseSource } from "./_source_checks.ts";
import {
  applicationPermissions,
  componentLookup,
  componentSummaries,
  configurationValue,
  sandboxRequirements,
} from "./snapshot_views.ts";

const SCOPE = "kiln:apps";

interface LoadedApp {
  record: AppRecord;
  snapshot: AppSnapshot | null;
}

export interface RegistryOptions {
  state: StateManager;
  store: StoreDriver;
  clock?: Clock;
  logger?: Logger;
  /** The global level of configuration lookups. */
  configuration?: Record<string, unknown>;
  sourceLimits?: SourceLimits;
  /** Store scopes other subsystems keep per app (the JIT loop's), removed with its state. */
  appScopes?: (appId: string) => string[] | Promise<string[]>;
  /**
   * Problems of the images an app's sandbox pools name (the container tier's check, handed in
   * by `kiln.ts`): a registration, update or push naming an image Docker lacks is refused.
   */
  imageIssues?: (definition: AppDefinition) => Promise<DefinitionIssue[]>;
  /**
   * Problems of the app's WebAssembly components (the bundler's check, handed in by `kiln.ts`):
   * a registration, update or push whose component does not implement the handler world is
   * refused naming what it lacks.
   */
  componentIssues?: (files: ReadonlyMap<string, string>) => Promise<DefinitionIssue[]>;
  /** The other nodes on the same store (cluster mode); default: none. */
  peers?: RegistryPeers;
}

/**
 * The application registry of contract §4: which apps exist, what status they are in, and the
 * parsed definitions each serves. Records persist in the store; definitions come from each app's
 * repo, and only a revision that validates is ever served.
 */
export class Registry {
  readonly #apps = new Map<string, LoadedApp>();
  readonly #keys: ApiKeys;
  readonly #locks = new KeyedMutex();
  readonly #state: StateManager;
  readonly #store: StoreDriver;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #global: Record<string, unknown>;
  readonly #limits?: SourceLimits;
  readonly #changeListeners = new Set<(appId: string) => void | Promise<void>>();
  /** Per app, what its listeners do about its last change (see `onAppsChanged`). */
  readonly #readying = new Map<string, Promise<unknown>>();
  readonly #appScopes: RegistryOptions["appScopes"];
  readonly #imageIssues: RegistryOptions["imageIssues"];
  readonly #componentIssues: RegistryOptions["componentIssues"];
  readonly #peers: RegistryPeers;

  constructor(opts: RegistryOptions) {
    this.#state = opts.state;
    this.#store = opts.store;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.logger ?? silentLogger;
    this.#global = opts.configuration ?? {};
    this.#limits = opts.sourceLimits;
    this.#appScopes = opts.appScopes;
    this.#imageIssues = opts.imageIssues;
    this.#componentIssues = opts.componentIssues;
    this.#peers = opts.peers ?? noPeers;
    this.#keys = new ApiKeys({
      state: this.#state,
      clock: this.#clock,
      logger: this.#log,
      isRegistered: (appId) => this.#apps.has(appId),
    });
    // The node that committed validates and records the app-wide result.
    this.#state.onCommit((appId) => this.#validate(appId).then(() => {}));
  }

  /**
   * Subscribes to changes of what an app serves (registered, deregistered, activated,
   * deactivated, a new revision served); returns the unsubscribe function. A listener that
   * returns a promise is getting the app ready to serve the change: registering or updating the
   * app answers once it settled, so a deployed app is ready when its registration returns.
   */
  onAppsChanged(listener: (appId: string) => void | Promise<void>): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #changed(appId: string): void {
    const readying: Promise<void>[] = [];
    for (const listener of this.#changeListeners) {
      try {
        const done = listener(appId);
        if (done) readying.push(done);
      } catch (err) {
        this.#log.warn("apps-changed listener failed", { appId, error: String(err) });
      }
    }
    if (readying.length === 0) return this.#readying.delete(appId), undefined;
    const all = Promise.allSettled(readying);
    this.#readying.set(appId, all);
    void all.then(() => {
      if (this.#readying.get(appId) === all) this.#readying.delete(appId);
    });
  }

  /** Waits until what the listeners do about the app's last change has settled. */
  async #ready<T>(appId: string, result: T): Promise<T> {
    await this.#readying.get(appId);
    return result;
  }

  /**
   * Restores every persisted app at start-up, serving the newest valid revision of each.
   * `prepare` runs first when there is anything to restore (it loads the parsers that needs).
   */
  async load(prepare: () => Promise<unknown> = () => Promise.resolve()): Promise<void> {
    if (this.#peers.shared) return await prepare().then(() => this.resync());
    const records = await this.#store.list(SCOPE);
    if (records.length > 0) await prepare();
    for (const { key, value } of records) {
      const record = value as unknown as AppRecord;
      const loaded: LoadedApp = { record, snapshot: null };
      this.#apps.set(key, loaded);
      try {
        if (!(await this.#state.definitions.repoExists(key))) {
          throw new Error(`repository ${this.#state.definitions.repoPath(key)} is missing`);
        }
        if (record.servedRevision) await this.#serve(loaded, record.servedRevision);
        await this.sync(key);
      } catch (err) {
        this.#log.error("app failed to load", { appId: key, error: String(err) });
        await this.#save({ ...record, status: "ERROR", statusReason: String(err) });
      }
    }
  }

  /**
   * Registers an app from a UHLP directory, a tarball or files (contract §4 registerApplication).
   */
  async registerApplication(source: AppSource, author?: string): Promise<AppDetails> {
    const files = await readAppSource(source, this.#limits);
    const definition = await definitionOf(files.get("app_definition.yaml")!);
    const appId = definition.appId;
    await refuseSource(definition, files, this.#imageIssues, this.#componentIssues);
    const details = await this.#locks.run(appId, async () => {
      // In cluster mode another node may have registered it a moment ago.
      const shared = this.#peers.shared && (await this.#store.get(SCOPE, appId)).found;
      if (this.#apps.has(appId) || shared) {
        throw new KilnError("APP_EXISTS", `app ${quote(appId)} is already registered`);
      }
      const now = new Date(this.#clock.now()).toISOString();
      const loaded: LoadedApp = {
        record: {
          appId,
          status: "INITIALIZING",
          servedRevision: null,
          createdAt: now,
          updatedAt: now,
        },
        snapshot: null,
      };
      this.#apps.set(appId, loaded);
      const defs = this.#state.definitions;
      const repoExisted = await defs.repoExists(appId);
      try {
        await defs.ensureRepo(appId);
        const base = await defs.pull(appId);
        const { resultingRevision } = await defs.replaceTree(appId, files, base, {
          commitMessage: `Register application ${appId}`,
          author,
        });
        this.#install(loaded, buildSnapshot(files, resultingRevision));
        await this.#save({ ...loaded.record, status: "ACTIVE", servedRevision: resultingRevision });
      } catch (err) {
        this.#apps.delete(appId);
        this.#keys.drop(appId);
        if (!repoExisted) await defs.deleteRepo(appId).catch(() => {});
        throw err;
      }
      this.#log.info("app registered", { appId, revision: loaded.record.servedRevision });
      return this.getApplicationDetails(appId);
    });
    return await this.#ready(appId, details);
  }

  /** Replaces an app's definitions with a new source in one validated commit. */
  async updateApplication(appId: string, source: AppSource, author?: string): Promise<AppDetails> {
    const files = await readAppSource(source, this.#limits);
    const definition = await definitionOf(files.get("app_definition.yaml")!);
    const declared = definition.appId;
    if (declared !== appId) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `app_definition.yaml declares appId ${quote(declared)}, but the update targets ${
          quote(appId)
        }`,
      );
    }
    await refuseSource(definition, files, this.#imageIssues, this.#componentIssues);
    const details = await this.#locks.run(appId, async () => {
      const loaded = this.#get(appId);
      const defs = this.#state.definitions;
      const base = await defs.pull(appId);
      const { resultingRevision } = await defs.replaceTree(appId, files, base, {
        commitMessage: `Update application ${appId}`,
        author,
      });
      this.#install(loaded, buildSnapshot(files, resultingRevision));
      const status = loaded.record.status === "INACTIVE" ? "INACTIVE" : "ACTIVE";
      await this.#save({
        ...loaded.record,
        status,
        servedRevision: resultingRevision,
        statusReason: undefined,
        pendingRevision: undefined,
      });
      return this.getApplicationDetails(appId);
    });
    return await this.#ready(appId, details);
  }

  /** Removes an app; with `deleteState` its repo, runtime values and volume go too. */
  async deregisterApplication(appId: string, deleteState = false): Promise<{ deregistered: true }> {
    return await this.#locks.run(appId, async () => {
      this.#get(appId);
      this.#apps.delete(appId);
      this.#keys.drop(appId);
      await this.#store.delete(SCOPE, appId);
      if (deleteState) {
        await this.#state.definitions.dropShared(appId);
        await this.#state.definitions.deleteRepo(appId);
        await this.#state.runtime.deleteAllRuntimeValues(appId);
        await this.#state.volumes.remove(appId);
        for (const scope of (await this.#appScopes?.(appId)) ?? []) {
          await this.#store.deleteScope(scope);
        }
      }
      this.#log.info("app deregistered", { appId, deleteState });
      this.#changed(appId);
      await this.#peers.announce(appId, "deregister", deleteState);
      return { deregistered: true };
    });
  }

  /** Turns serving on (`ACTIVE`) or off (`INACTIVE`). */
  async setActive(appId: string, active: boolean): Promise<AppStatusInfo> {
    return await this.#locks.run(appId, async () => {
      const loaded = this.#get(appId);
      const pending = loaded.record.pendingRevision;
      const status: AppStatus = active ? (pending ? "DEGRADED" : "ACTIVE") : "INACTIVE";
      // Activating drops "deactivated"; what stays is a pending invalid head's reason.
      const reason = !active
        ? "deactivated"
        : pending
        ? `revision ${pending.revision.slice(0, 12)} is invalid: ${issueSummary(pending.issues)}`
        : undefined;
      await this.#save({ ...loaded.record, status, statusReason: reason });
      this.#changed(appId);
      return this.getApplicationStatus(appId);
    });
  }

  /**
   * Brings the served revision up to the repo's head, e.g. after a `git push`. An invalid head
   * is reported (status DEGRADED, with its issues) while the last valid revision keeps serving.
   * In cluster mode a pushed head is published first; a head that came from the shared one is
   * served when its record (written by the node that made it) changes.
   */
  async sync(appId: string): Promise<AppStatusInfo> {
    if (!this.#peers.shared) return await this.#validate(appId);
    if ((await this.#state.definitions.adopt(appId)) === "published") {
      return await this.#validate(appId);
    }
    // The head came from the cluster: its record's change event serves it.
    return this.getApplicationStatus(appId);
  }

  /**
   * Another node changed `appId`'s record (cluster mode): reloads it and serves the revision it
   * names, fetching that revision's objects first. A failure here is this node's own trouble:
   * it is reported for this node, and the app answers 503 here until a later change loads.
   */
  async refresh(appId: string, deleteState = false): Promise<void> {
    await this.#locks.run(appId, () =>
      this.#locks.run(`sync:${appId}`, async () => {
        const found = await this.#store.get(SCOPE, appId);
        const loaded = this.#apps.get(appId);
        if (!found.found) {
          if (loaded) {
            this.#apps.delete(appId);
            this.#keys.drop(appId);
            this.#changed(appId);
          }
          if (deleteState) {
            await this.#state.definitions.deleteRepo(appId);
            await this.#state.volumes.remove(appId);
          }
          this.#peers.localTrouble(appId, null);
          return;
        }
        const record = found.value as unknown as AppRecord;
        const target = loaded ?? { record, snapshot: null };
        target.record = record;
        if (!loaded) this.#apps.set(appId, target);
        try {
          await this.#state.definitions.pull(appId);
          const served = record.servedRevision;
          if (served && target.snapshot?.revision !== served) await this.#serve(target, served);
          else this.#changed(appId);
          this.#peers.localTrouble(appId, null);
        } catch (err) {
          this.#log.error("app failed to load on this node", { appId, error: String(err) });
          this.#peers.localTrouble(appId, String(err));
        }
      }));
  }

  /** Reloads every app record from the store (cluster mode: at start and after a feed gap). */
  async resync(): Promise<void> {
    const ids = new Set((await this.#store.list(SCOPE)).map(({ key }) => key));
    for (const appId of this.#apps.keys()) ids.add(appId);
    for (const appId of [...ids].sort()) await this.refresh(appId);
  }

  async #validate(appId: string): Promise<AppStatusInfo> {
    return await this.#locks.run(`sync:${appId}`, async () => {
      const loaded = this.#get(appId);
      const head = await this.#state.definitions.refreshHead(appId);
      if (!head || head === loaded.record.servedRevision) return this.getApplicationStatus(appId);
      let issues = await this.#state.definitions.validateRevision(appId, head);
      if (issues.length === 0) {
        try {
          await this.#serve(loaded, head);
        } catch (err) {
          issues = [{ path: "app_definition.yaml", message: (err as Error).message }];
        }
      }
      if (this.#apps.get(appId) !== loaded) return this.getApplicationStatus(appId);
      if (issues.length > 0) {
        this.#log.warn("repository head is invalid; still serving the last valid revision", {
          appId,
          revision: head,
          servedRevision: loaded.record.servedRevision,
          issues,
        });
        await this.#save({
          ...loaded.record,
          status: loaded.record.status === "INACTIVE" ? "INACTIVE" : "DEGRADED",
          statusReason: `revision ${head.slice(0, 12)} is invalid: ${issueSummary(issues)}`,
          pendingRevision: { revision: head, issues },
        });
      } else {
        await this.#save({
          ...loaded.record,
          status: loaded.record.status === "INACTIVE" ? "INACTIVE" : "ACTIVE",
          servedRevision: head,
          statusReason: undefined,
          pendingRevision: undefined,
        });
      }
      return this.getApplicationStatus(appId);
    });
  }

  /**
   * The problems of a pushed commit still in Git's quarantine: what `sync` would find once it is
   * the head (validation, then building what the registry serves). Empty means servable.
   */
  async pushedRevisionIssues(
    appId: string,
    commit: string,
    objects: PushedObjects,
  ): Promise<DefinitionIssue[]> {
    this.#get(appId);
    const issues = await objects.issues(commit);
    if (issues.length > 0) return issues;
    try {
      const files = await objects.readTree(commit);
      const snapshot = buildSnapshot(files, commit);
      const images = await this.#imageIssues?.(snapshot.definition) ?? [];
      return [...images, ...await this.#componentIssues?.(files) ?? []];
    } catch (err) {
      if (!(err instanceof KilnError) || err.status >= 500) throw err;
      return [{ path: "app_definition.yaml", message: err.message }];
    }
  }

  getApplicationStatus(appId: string): AppStatusInfo {
    const { record } = this.#get(appId);
    return {
      appId,
      status: record.status,
      revision: record.servedRevision,
      ...(record.statusReason ? { reason: record.statusReason } : {}),
      ...(record.pendingRevision ? { invalidRevision: record.pendingRevision } : {}),
    };
  }

  /** Apps that serve traffic: ACTIVE and DEGRADED (still serving a valid revision). */
  listActiveApplications(): AppStatusInfo[] {
    return this.listApplications().filter((a) => a.status === "ACTIVE" || a.status === "DEGRADED");
  }

  listApplications(): AppStatusInfo[] {
    return [...this.#apps.keys()].sort().map((id) => this.getApplicationStatus(id));
  }

  getApplicationDetails(appId: string): AppDetails {
    const { record, snapshot } = this.#get(appId);
    const def = snapshot?.definition;
    return {
      ...this.getApplicationStatus(appId),
      displayName: def?.displayName ?? appId,
      version: def?.version ?? "",
      description: def?.description,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      repository: this.#state.definitions.repoPath(appId),
      configuration: def?.configuration ?? {},
      sandboxPools: def?.sandboxPools?.pools ?? [],
      components: componentSummaries(snapshot),
    };
  }

  /** The served snapshot, for the router and MCP; throws when the app serves nothing. */
  snapshot(appId: string): AppSnapshot {
    const { snapshot } = this.#get(appId);
    if (!snapshot) {
      throw new KilnError("UNAVAILABLE", `app ${quote(appId)} has no valid revision to serve`);
    }
    return snapshot;
  }

  /** What an app needs from the sandbox manager (contract §4 getSandboxRequirements). */
  getSandboxRequirements(appId: string) {
    return sandboxRequirements(appId, this.snapshot(appId));
  }

  /** Finds a component by id or by an ingress route (contract §4 getComponentDefinition). */
  getComponentDefinition(
    appId: string,
    ref: string | { path: string; method: string },
  ): ComponentLookup {
    return componentLookup(this.snapshot(appId), ref);
  }

  /** Component over app over global (contract §4 getAppConfigurationValue). */
  getAppConfigurationValue(
    appId: string,
    key: string,
    componentId?: string,
  ): { found: boolean; value?: unknown; source?: ConfigSource } {
    return configurationValue(appId, this.snapshot(appId), this.#global, key, componentId);
  }

  /** Checks an app API key by its public id, then its salted hash (contract §4 validateApiKey). */
  validateApiKey(apiKey: string): ApiKeyValidation {
    return this.#keys.validate(apiKey);
  }

  /** Who may do what to an app (contract §4 getApplicationPermissions); never includes hashes. */
  getApplicationPermissions(appId: string) {
    return applicationPermissions(appId, this.snapshot(appId));
  }

  /** Mints a key, commits its hash to `security_config.yaml`, and returns the key once. */
  async createApiKey(
    appId: string,
    input: { description?: string; permissions?: string[] },
    author?: string,
  ): Promise<{ keyId: string; apiKey: string; revision: string }> {
    this.#get(appId);
    return await this.#keys.create(appId, input, author);
  }

  /** Removes a key from `security_config.yaml`; it stops working at once. */
  async revokeApiKey(appId: string, keyId: string, author?: string): Promise<{ revision: string }> {
    this.#get(appId);
    return await this.#keys.revoke(appId, keyId, author);
  }

  async #serve(loaded: LoadedApp, revision: string): Promise<void> {
    const files = await this.#state.definitions.readTree(loaded.record.appId, revision);
    this.#install(loaded, buildSnapshot(files, revision));
  }

  #install(loaded: LoadedApp, snapshot: AppSnapshot): void {
    const appId = loaded.record.appId;
    loaded.snapshot = snapshot;
    queueMicrotask(() => this.#changed(appId));
    this.#keys.index(appId, snapshot.security.apiKeys);
  }

  async #save(record: AppRecord): Promise<void> {
    const next = { ...record, updatedAt: new Date(this.#clock.now()).toISOString() };
    const loaded = this.#apps.get(record.appId);
    if (loaded) loaded.record = next;
    await this.#store.set(SCOPE, record.appId, JSON.parse(JSON.stringify(next)) as JsonValue);
    await this.#peers.announce(record.appId, "record");
  }

  #get(appId: string): LoadedApp {
    const loaded = this.#apps.get(appId);
    if (!loaded) throw new KilnError("APP_NOT_FOUND", `no app ${quote(appId)} is registered`);
    return loaded;
  }
}

export type { DefinitionIssue };
