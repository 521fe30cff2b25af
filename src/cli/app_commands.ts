import { readAppSource } from "../registry/mod.ts";
import { KilnError } from "../core/mod.ts";
import { appPath } from "./_client.ts";
import { runGroup, type Subcommand } from "./_command.ts";
import { CliError, fields, type Io, table } from "./_output.ts";
import { TEMPLATE_NAMES } from "../scaffold/mod.ts";

interface Status {
  appId: string;
  status: string;
  revision: string | null;
  [k: string]: unknown;
}

const summary = (s: Status) => `${s.appId}: ${s.status} at ${s.revision?.slice(0, 12) ?? "-"}`;

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  // Loaded when they run: `app test` brings a whole Kiln, which the other subcommands do not need.
  new: {
    args: "NAME",
    summary: "Write a new app directory from a template, with tests (no Kiln needed)",
    options: {
      template: { type: "string", help: `${TEMPLATE_NAMES.join(" | ")} (default basic)` },
      dir: { type: "string", help: "Where to write it (default ./NAME); must be empty or new" },
    },
    run: async (ctx) => await (await import("./app_new_command.ts")).appNew(ctx),
  },
  test: {
    args: "[DIR]",
    summary: "Run the app's tests (tests/*.test.yaml, schema examples) on a private Kiln",
    options: {
      filter: { type: "string", help: "Only cases whose 'file: name' contains this text" },
    },
    run: async (ctx) => await (await import("./app_test_command.ts")).appTest(ctx),
  },
  register: {
    args: "DIR",
    summary: "Register the app in DIR (DIR/state/app_definition.yaml)",
    async run({ args: [dir], api, print }) {
      let files: Map<string, string>;
      try {
        files = await readAppSource({ directory: dir });
      } catch (err) {
        if (err instanceof KilnError) throw new CliError(`${err.code}: ${err.message}`);
        throw err;
      }
      const app = await api("POST", "/v1/apps", { files: Object.fromEntries(files) }) as Status;
      print(app, () => `registered ${app.appId} (${app.status}) at revision ${app.revision}`);
      return 0;
    },
  },
  list: {
    args: "",
    summary: "List registered apps and their status",
    async run({ api, print }) {
      const { apps } = await api("GET", "/v1/apps") as { apps: Status[] };
      print(apps, () =>
        apps.length === 0 ? "no apps registered" : table(
          ["APP", "STATUS", "REVISION"],
          apps.map((a) => [a.appId, a.status, a.revision?.slice(0, 12) ?? "-"]),
        ));
      return 0;
    },
  },
  show: {
    args: "APP",
    summary: "An app's details",
    async run({ args: [appId], api, print }) {
      const app = await api("GET", appPath(appId)) as Record<string, unknown>;
      print(app, () => fields(app));
      return 0;
    },
  },
  status: {
    args: "APP",
    summary: "An app's status and served revision",
    async run({ args: [appId], api, print }) {
      const s = await api("GET", appPath(appId, "/status")) as Status;
      print(s, () => fields(s));
      return 0;
    },
  },
  activate: {
    args: "APP",
    summary: "Serve the app again",
    async run({ args: [appId], api, print }) {
      const s = await api("POST", appPath(appId, "/activate")) as Status;
      print(s, () => summary(s));
      return 0;
    },
  },
  deactivate: {
    args: "APP",
    summary: "Stop serving the app (its definitions and state stay)",
    async run({ args: [appId], api, print }) {
      const s = await api("POST", appPath(appId, "/deactivate")) as Status;
      print(s, () => summary(s));
      return 0;
    },
  },
  deregister: {
    args: "APP",
    summary: "Remove the app from the registry",
    options: {
      "delete-state": {
        type: "boolean",
        help: "Also delete its repository and runtime values (irreversible)",
      },
    },
    async run({ args: [appId], opts, api, print }) {
      const query = opts["delete-state"] ? "?deleteState=true" : "";
      const r = await api("DELETE", appPath(appId, query));
      print(r, () => `deregistered ${appId}${query ? " and deleted its state" : ""}`);
      return 0;
    },
  },
};

/** `kiln app …`: the registry of a running Kiln. */
export function appCommand(args: string[], io: Io): Promise<number> {
  return runGroup(
    "app",
    "Create and test apps; register, inspect and switch them on and off.",
    SUBCOMMANDS,
    args,
    io,
  );
}
