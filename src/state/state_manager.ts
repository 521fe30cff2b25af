import type {
  DefinitionStore,
  DirectoryEntry,
  FileContent,
  WriteOptions,
  WriteResult,
} from "./definitions.ts";
import type { AppVolumes } from "./app_volumes.ts";
import type { RuntimeState } from "./runtime_state.ts";

/** Called after every commit Kiln makes, so the registry serves the new revision at once. */
export type CommitListener = (appId: string, revision: string) => Promise<void>;

/**
 * The state manager of contract §3: definition state in Git, runtime state in the store and app
 * volumes on disk, behind one object that HTTP, MCP and the CLI share. Every definition write
 * notifies the listeners before it answers, so callers never read a stale served revision after
 * their own write.
 */
export class StateManager {
  #listeners: CommitListener[] = [];

  constructor(
    readonly definitions: DefinitionStore,
    readonly runtime: RuntimeState,
    /** Each app's own volume (mounted by containers, served by `core.filesystem.*`). */
    readonly volumes: AppVolumes,
  ) {}

  /** Subscribes to commits made through this manager. */
  onCommit(listener: CommitListener): void {
    this.#listeners.push(listener);
  }

  getDefinitionFileContent(
    appId: string,
    filePath: string,
    revision?: string,
  ): Promise<FileContent> {
    return this.definitions.getDefinitionFileContent(appId, filePath, revision);
  }

  listDefinitionDirectory(
    appId: string,
    directoryPath: string,
    recursive?: boolean,
    revision?: string,
  ): Promise<{ entries: DirectoryEntry[]; revision: string | null }> {
    return this.definitions.listDefinitionDirectory(appId, directoryPath, recursive, revision);
  }

  applyDefinitionDiff(
    appId: string,
    filePath: string,
    diffContent: string,
    expectedBaseRevision: string,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    return this.#notify(
      appId,
      () =>
        this.definitions.applyDefinitionDiff(
          appId,
          filePath,
          diffContent,
          expectedBaseRevision,
          opts,
        ),
    );
  }

  setDefinitionFileContent(
    appId: string,
    filePath: string,
    content: string,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    return this.#notify(
      appId,
      () =>
        this.definitions.setDefinitionFileContent(
          appId,
          filePath,
          content,
          expectedBaseRevision,
          opts,
        ),
    );
  }

  deleteDefinitionFile(
    appId: string,
    filePath: string,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    return this.#notify(
      appId,
      () => this.definitions.deleteDefinitionFile(appId, filePath, expectedBaseRevision, opts),
    );
  }

  /** Several files in one commit; same checks as one file. */
  setDefinitionFiles(
    appId: string,
    files: ReadonlyMap<string, string>,
    expectedBaseRevision: string | undefined,
    opts: WriteOptions,
  ): Promise<WriteResult> {
    return this.#notify(
      appId,
      () => this.definitions.setDefinitionFiles(appId, files, expectedBaseRevision, opts),
    );
  }

  revert(
    appId: string,
    revision: string,
    expectedBaseRevision: string | undefined,
    opts: Partial<WriteOptions>,
  ): Promise<WriteResult> {
    return this.#notify(
      appId,
      () => this.definitions.revert(appId, revision, expectedBaseRevision, opts),
    );
  }

  async #notify(appId: string, write: () => Promise<WriteResult>): Promise<WriteResult> {
    const result = await write();
    for (const listener of this.#listeners) await listener(appId, result.resultingRevision);
    return result;
  }
}
