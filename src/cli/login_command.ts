import { parseArgs } from "node:util";
import { callApi, DEFAULT_URL } from "./_client.ts";
import { CliError, EXIT, type Io, printer } from "./_output.ts";
import { profilesPath, readProfiles, saveProfile } from "./_profiles.ts";

export const LOGIN_HELP = `Usage: kiln login [options]

Checks a Kiln URL and token and saves them as a profile, so later commands need neither
--url nor --token. The file (${"$"}XDG_CONFIG_HOME/kiln/profiles.json or
~/.config/kiln/profiles.json) is created with mode 0600.

Options:
  --url URL          Kiln's address (default $KILN_URL or ${DEFAULT_URL})
  --token TOKEN      The admin token or an app key (default $KILN_ADMIN_TOKEN; - reads stdin)
  --profile NAME     Save under this name (default: default)
  --list             Show the saved profiles (never their tokens)
  --json             Print JSON
  -h, --help         Show this help`;

/** `kiln login`: verifies a URL and token against Kiln, then saves them as a profile. */
export async function loginCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      profile: { type: "string" },
      list: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(LOGIN_HELP);
    return EXIT.OK;
  }
  if (positionals.length) throw new CliError(`unexpected argument "${positionals[0]}"`, 2);
  const print = printer(io, values.json === true);
  if (values.list) {
    const profiles = Object.entries(await readProfiles())
      .map(([name, p]) => ({ profile: name, url: p.url }));
    print(profiles, () => profiles.map((p) => `${p.profile}\t${p.url}`).join("\n") || "none");
    return EXIT.OK;
  }
  const url = values.url ?? (Deno.env.get("KILN_URL") || DEFAULT_URL);
  let token = values.token ?? (Deno.env.get("KILN_ADMIN_TOKEN") || undefined);
  if (token === "-") token = (await new Response(Deno.stdin.readable).text()).trim();
  if (!token) throw new CliError("kiln login needs --token or KILN_ADMIN_TOKEN", EXIT.USAGE);
  // Any authenticated read proves the pair works: the admin and app keys may both list apps.
  const { apps } = await callApi({ url, token }, "GET", "/v1/apps") as { apps: unknown[] };
  const profile = values.profile ?? "default";
  await saveProfile(profile, { url, token });
  print(
    { profile, url, apps: apps.length, file: profilesPath() },
    () =>
      `saved profile "${profile}" for ${url} (${apps.length} apps visible) in ${profilesPath()}`,
  );
  return EXIT.OK;
}
