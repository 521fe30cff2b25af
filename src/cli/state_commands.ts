import { appPath } from "./_client.ts";
import { jsonArg, runGroup, type Subcommand } from "./_command.ts";
import { CliError, EXIT, type Io } from "./_output.ts";

const keyPath = (appId: string, key: string) =>
  appPath(appId, `/runtime/${encodeURIComponent(key)}`);

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  list: {
    args: "APP",
    summary: "Runtime keys",
    options: { prefix: { type: "string", help: "Only keys starting with this" } },
    async run({ args: [appId], opts, api, print }) {
      const prefix = opts.prefix ? `?prefix=${encodeURIComponent(String(opts.prefix))}` : "";
      const { keys } = await api("GET", appPath(appId, `/runtime${prefix}`)) as { keys: string[] };
      print(keys, () => keys.join("\n") || `${appId} has no runtime keys`);
      return 0;
    },
  },
  get: {
    args: "APP KEY",
    summary: "A runtime value as JSON; exit 4 when the key is not set",
    async run({ args: [appId, key], api, print }) {
      const r = await api("GET", keyPath(appId, key)) as { found: boolean; value?: unknown };
      print(r, () => r.found ? JSON.stringify(r.value, null, 2) : `${key} is not set`);
      return r.found ? EXIT.OK : EXIT.NOT_FOUND;
    },
  },
  set: {
    args: "APP KEY VALUE",
    summary: "Set a runtime value (VALUE is JSON)",
    options: { ttl: { type: "string", help: "Expire after this many seconds" } },
    async run({ args: [appId, key, text], opts, api, print }) {
      const value = jsonArg(text, "VALUE");
      const ttl = opts.ttl === undefined ? undefined : Number(opts.ttl);
      if (ttl !== undefined && !(ttl > 0)) {
        throw new CliError(`--ttl must be a positive number, got "${opts.ttl}"`, EXIT.USAGE);
      }
      const r = await api("PUT", keyPath(appId, key), {
        value,
        ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
      });
      print(r, () => `set ${key}`);
      return 0;
    },
  },
  delete: {
    args: "APP KEY",
    summary: "Delete a runtime value",
    async run({ args: [appId, key], api, print }) {
      const r = await api("DELETE", keyPath(appId, key)) as { deleted?: boolean };
      print(r, () => r.deleted === false ? `${key} was not set` : `deleted ${key}`);
      return 0;
    },
  },
};

/** `kiln state …`: an app's runtime values. */
export function stateCommand(args: string[], io: Io): Promise<number> {
  return runGroup("state", "An app's runtime state: JSON values by key.", SUBCOMMANDS, args, io);
}
