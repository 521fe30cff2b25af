import { appPath } from "./_client.ts";
import { runGroup, type Subcommand } from "./_command.ts";
import { type Io, table } from "./_output.ts";

interface Key {
  keyId: string;
  description?: string;
  permissions?: string[];
  createdAt?: string;
}

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  create: {
    args: "APP",
    summary: "Mint an API key; it is printed once and stored hashed",
    options: {
      description: { type: "string", help: "What the key is for" },
      permission: {
        type: "string",
        multiple: true,
        help: "A permission (definitions:read, runtime:*, …; default *)",
      },
    },
    async run({ args: [appId], opts, api, print }) {
      const body = {
        ...(opts.description ? { description: opts.description } : {}),
        ...(opts.permission ? { permissions: opts.permission } : {}),
      };
      const r = await api("POST", appPath(appId, "/keys"), body) as {
        keyId: string;
        apiKey: string;
      };
      print(r, () => `key ${r.keyId} (shown once):\n${r.apiKey}`);
      return 0;
    },
  },
  list: {
    args: "APP",
    summary: "An app's keys: ids and metadata, never secrets",
    async run({ args: [appId], api, print }) {
      const { keys } = await api("GET", appPath(appId, "/keys")) as { keys: Key[] };
      print(keys, () =>
        keys.length === 0 ? `${appId} has no API keys` : table(
          ["KEY", "PERMISSIONS", "CREATED", "DESCRIPTION"],
          keys.map((k) => [
            k.keyId,
            (k.permissions ?? ["*"]).join(","),
            k.createdAt ?? "-",
            k.description ?? "",
          ]),
        ));
      return 0;
    },
  },
  revoke: {
    args: "APP KEY",
    summary: "Revoke a key by its id",
    async run({ args: [appId, keyId], api, print }) {
      const r = await api("DELETE", appPath(appId, `/keys/${encodeURIComponent(keyId)}`));
      print(r, () => `revoked ${keyId}`);
      return 0;
    },
  },
};

/** `kiln keys …`: app API keys. */
export function keysCommand(args: string[], io: Io): Promise<number> {
  return runGroup("keys", "App API keys.", SUBCOMMANDS, args, io);
}
