import { join } from "node:path";

/** A saved Kiln address and token, by profile name (`kiln login --profile NAME`). */
export interface Profile {
  url: string;
  token: string;
}

/**
 * `$XDG_CONFIG_HOME/kiln/profiles.json`, else `~/.config/kiln/profiles.json`. `KILN_CONFIG_DIR`
 * overrides the folder (tests, and hosts with an unusual layout).
 */
export function profilesPath(env: (name: string) => string | undefined = Deno.env.get): string {
  const dir = env("KILN_CONFIG_DIR") ??
    join(env("XDG_CONFIG_HOME") || join(env("HOME") ?? ".", ".config"), "kiln");
  return join(dir, "profiles.json");
}

/** Every saved profile; none when the file does not exist yet. */
export async function readProfiles(path = profilesPath()): Promise<Record<string, Profile>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw err;
  }
  const parsed = JSON.parse(text) as { profiles?: Record<string, Profile> };
  return parsed.profiles ?? {};
}

/**
 * Saves one profile. The file holds tokens, so it is created with mode 0600 (and set to 0600 if
 * it existed wider) and replaced by rename, never left half-written.
 */
export async function saveProfile(
  name: string,
  profile: Profile,
  path = profilesPath(),
): Promise<void> {
  const profiles = { ...await readProfiles(path), [name]: profile };
  const dir = path.slice(0, path.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify({ profiles }, null, 2) + "\n", { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, path);
}
