import type { Document } from "yaml";
import { isYamlSeq, KilnError, quote } from "../core/mod.ts";
import type { ApiKeyEntry } from "../models/mod.ts";

/**
 * Edits `state/security_config.yaml` as a YAML document (parsed within budgets by the caller),
 * so the operator's comments and layout survive a key being added or revoked.
 */
export function addApiKeyEntry(doc: Document.Parsed, entry: ApiKeyEntry): string {
  const keys = doc.get("apiKeys");
  if (isYamlSeq(keys)) keys.add(doc.createNode(entry));
  else doc.set("apiKeys", doc.createNode([entry]));
  return doc.toString();
}

/** Removes the entry with `keyId`; NOT_FOUND when there is none. */
export function removeApiKeyEntry(doc: Document.Parsed, keyId: string): string {
  const keys = doc.get("apiKeys");
  if (isYamlSeq(keys)) {
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
