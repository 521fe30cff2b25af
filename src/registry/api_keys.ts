import {
  type Clock,
  KilnError,
  type Logger,
  quote,
  yamlDocumentOrThrowAsync,
} from "../core/mod.ts";
import { type ApiKeyEntry, isAppPermission } from "../models/mod.ts";
import type { Document } from "yaml";
import type { StateManager } from "../state/mod.ts";
import { apiKeyMatches, type ApiKeyValidation, mintApiKey, parseApiKey } from "../auth/mod.ts";
import { addApiKeyEntry, removeApiKeyEntry } from "./_security_file.ts";

/** What the key index is built from; `isRegistered` tells whether an app still exists. */
export interface ApiKeysOptions {
  state: StateManager;
  clock: Clock;
  logger: Logger;
  isRegistered: (appId: string) => boolean;
}

/**
 * App API keys (contract §4): an index of the keys each app's served revision holds, by public key
 * id, and minting or revoking a key as a commit to the app's `security_config.yaml`. The index
 * follows what is served: a key works once the revision holding it is served, and stops when
 * a revision without it is.
 */
export class ApiKeys {
  readonly #keys = new Map<string, { appId: string; entry: ApiKeyEntry }>();
  readonly #o: ApiKeysOptions;

  constructor(opts: ApiKeysOptions) {
    this.#o = opts;
  }

  /**
   * Indexes the keys of the revision `appId` now serves, replacing its earlier ones. A key id
   * another app already holds stays that app's; the newcomer is ignored (and logged).
   */
  index(appId: string, entries: readonly ApiKeyEntry[]): void {
    this.drop(appId);
    for (const entry of entries) {
      const taken = this.#keys.get(entry.keyId);
      if (taken && taken.appId !== appId) {
        this.#o.logger.warn("API key id already belongs to another app; ignored", {
          appId,
          keyId: entry.keyId,
          owner: taken.appId,
        });
        continue;
      }
      this.#keys.set(entry.keyId, { appId, entry });
    }
  }

  /** Forgets every key of `appId`. */
  drop(appId: string): void {
    for (const [keyId, hit] of this.#keys) if (hit.appId === appId) this.#keys.delete(keyId);
  }

  /** Checks a key by its public id, then its salted hash (contract §4 validateApiKey). */
  validate(apiKey: string): ApiKeyValidation {
    const parsed = parseApiKey(apiKey);
    const hit = parsed && this.#keys.get(parsed.keyId);
    if (!parsed || !hit || !hit.entry.enabled || !this.#o.isRegistered(hit.appId)) {
      return { isValid: false };
    }
    if (!apiKeyMatches(parsed.secret, hit.entry.keyHash)) return { isValid: false };
    return {
      isValid: true,
      appId: hit.appId,
      keyId: hit.entry.keyId,
      permissions: [...hit.entry.permissions],
    };
  }

  /** Mints a key, commits its hash to `security_config.yaml`, and returns the key once. */
  async create(
    appId: string,
    input: { description?: string; permissions?: string[] },
    author?: string,
  ): Promise<{ keyId: string; apiKey: string; revision: string }> {
    const unknown = (input.permissions ?? []).filter((p) => !isAppPermission(p));
    if (unknown.length > 0) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `unknown permission ${quote(unknown[0])}; an app key may hold the names in ` +
          "APP_PERMISSIONS, * or family:*",
        { issues: unknown.map((p) => ({ path: "", field: "permissions", message: quote(p) })) },
      );
    }
    const minted = mintApiKey();
    const entry: ApiKeyEntry = {
      keyId: minted.keyId,
      keyHash: minted.keyHash,
      description: input.description ?? "",
      permissions: input.permissions ?? ["*"],
      enabled: true,
      createdAt: new Date(this.#o.clock.now()).toISOString(),
    };
    const revision = await this.#editSecurity(appId, (doc) => addApiKeyEntry(doc, entry), {
      commitMessage: `Create API key ${minted.keyId}`,
      author,
    });
    return { keyId: minted.keyId, apiKey: minted.apiKey, revision };
  }

  /** Removes a key from `security_config.yaml`; it stops working once that commit is served. */
  async revoke(appId: string, keyId: string, author?: string): Promise<{ revision: string }> {
    const revision = await this.#editSecurity(appId, (doc) => removeApiKeyEntry(doc, keyId), {
      commitMessage: `Revoke API key ${keyId}`,
      author,
    });
    return { revision };
  }

  /** Edits the YAML document in place, so the operator's comments and layout survive. */
  async #editSecurity(
    appId: string,
    edit: (doc: Document.Parsed) => string,
    opts: { commitMessage: string; author?: string },
  ): Promise<string> {
    const { state } = this.#o;
    const current = await state.getDefinitionFileContent(appId, "security_config.yaml");
    const text = current.found && current.content!.trim() ? current.content! : "apiKeys: []\n";
    const next = edit(await yamlDocumentOrThrowAsync(text, "state/security_config.yaml"));
    const { resultingRevision } = await state.setDefinitionFileContent(
      appId,
      "security_config.yaml",
      next,
      current.revision ?? undefined,
      opts,
    );
    return resultingRevision;
  }
}
