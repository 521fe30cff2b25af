import { isSeq } from "yaml";
import { KilnError, quote, yamlDocumentOrThrow } from "../core/mod.ts";
import type { ApiKeyEntry } from "../models/mod.ts";

/**
 * Edits `state/security_config.yaml` as a YAML document, so the operator's comments and layout
 * survive a key being added or revoked.
 */
export function addApiKeyEntry(text: string | undefined, entry: ApiKeyEntry): string {
  const doc = yamlDocumentOrThrow(text?.trim() ? text : "apiKeys: []\n", "security_config.yaml");
  const keys = doc.get("apiKeys");
  if (isSeq(keys)) keys.add(doc.createNode(entry));
  else doc.set("apiKeys", doc.createNode([entry]));
  return doc.toString();
}

/** Removes the entry with `keyId`; NOT_FOUND when there is none. */
export function removeApiKeyEntry(text: string | undefined, keyId: string): string {
  const doc = yamlDocumentOrThrow(text ?? "", "security_config.yaml");
  const keys = doc.get("apiKeys");
  if (isSeq(keys)) {
    const index = keys.items.findIndex((item) =>
      (item as { get?: (k: string) => unknown }).get?.("keyId") === keyId
    );
    if (index >= 0) {
      keys.items.splice(index, 1);
      return doc.toString();
    }
  }
  throw new KilnError("NOT_FOUND", `no API key ${quote(keyId)} in this app`);
}
