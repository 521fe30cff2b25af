import { parseArgs } from "node:util";
import { readAppSource } from "../registry/mod.ts";
import { KilnError } from "../core/mod.ts";
import { callApi, DEFAULT_URL, type Remote } from "./_client.ts";
import { CliError, type Io } from "./_output.ts";

export const APP_HELP = `Usage: kiln app <command> [options]

Commands:
  register DIR   Register the app in DIR (UHLP layout: DIR/state/app_definition.yaml)
  list           List registered apps and their status
  show ID        Show an app's details

Options:
  --url URL      Kiln's address (default $KILN_URL or ${DEFAULT_URL})
  --token TOKEN  Admin token (default $KILN_ADMIN_TOKEN)
  --json         Print raw JSON
  -h, --help     Show this help`;

/** `kiln app …`: talks to a running Kiln over its HTTP API. */
export async function appCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    io.out(APP_HELP);
    return values.help ? 0 : 2;
  }
  const remote: Remote = {
    url: values.url ?? Deno.env.get("KILN_URL") ?? DEFAULT_URL,
    token: values.token ?? Deno.env.get("KILN_ADMIN_TOKEN"),
  };
  const print = (value: unknown, human: () => string) =>
    io.out(values.json ? JSON.stringify(value, null, 2) : human());

  switch (sub) {
    case "register": {
      const dir = one(rest, "kiln app register DIR");
      let files: Map<string, string>;
      try {
        files = await readAppSource({ directory: dir });
      } catch (err) {
        if (err instanceof KilnError) throw new CliError(`${err.code}: ${err.message}`);
        throw err;
      }
      const app = await callApi(remote, "POST", "/v1/apps", {
        files: Object.fromEntries(files),
      }) as { appId: string; status: string; revision: string };
      print(app, () => `registered ${app.appId} (${app.status}) at revision ${app.revision}`);
      return 0;
    }
    case "list": {
      none(rest, "kiln app list");
      const { apps } = await callApi(remote, "GET", "/v1/apps") as {
        apps: { appId: string; status: string; revision: string | null }[];
      };
      print(apps, () =>
        apps.length === 0 ? "no apps registered" : [
          pad("APP", "STATUS", "REVISION"),
          ...apps.map((a) => pad(a.appId, a.status, a.revision?.slice(0, 12) ?? "-")),
        ].join("\n"));
      return 0;
    }
    case "show": {
      const id = one(rest, "kiln app show ID");
      const app = await callApi(remote, "GET", `/v1/apps/${encodeURIComponent(id)}`);
      io.out(JSON.stringify(app, null, 2));
      return 0;
    }
    default:
      throw new CliError(`unknown command "app ${sub}"; see kiln app --help`, 2);
  }
}

function one(rest: string[], usage: string): string {
  if (rest.length !== 1) throw new CliError(`usage: ${usage}`, 2);
  return rest[0];
}

function none(rest: string[], usage: string): void {
  if (rest.length !== 0) throw new CliError(`usage: ${usage}`, 2);
}

function pad(a: string, b: string, c: string): string {
  return `${a.padEnd(24)} ${b.padEnd(13)} ${c}`;
}
