import assert from "node:assert/strict";
import { profilesPath, readProfiles, saveProfile } from "./_profiles.ts";

Deno.test("saveProfile() writes a 0600 file and keeps the other profiles", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kiln/profiles.json`;
    assert.deepEqual(await readProfiles(path), {}, "no file yet: no profiles");
    await saveProfile("default", { url: "http://a", token: "t1" }, path);
    // A file left wider by hand is narrowed by the next save.
    await Deno.chmod(path, 0o644);
    await saveProfile("prod", { url: "http://b", token: "t2" }, path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(await readProfiles(path), {
      default: { url: "http://a", token: "t1" },
      prod: { url: "http://b", token: "t2" },
    });
    const left = [...Deno.readDirSync(`${dir}/kiln`)].map((e) => e.name);
    assert.deepEqual(left, ["profiles.json"], "no temporary file left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("profilesPath() prefers KILN_CONFIG_DIR, then XDG_CONFIG_HOME, then ~/.config", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(profilesPath(env({ KILN_CONFIG_DIR: "/k", HOME: "/h" })), "/k/profiles.json");
  assert.equal(
    profilesPath(env({ XDG_CONFIG_HOME: "/x", HOME: "/h" })),
    "/x/kiln/profiles.json",
  );
  assert.equal(profilesPath(env({ HOME: "/h" })), "/h/.config/kiln/profiles.json");
});
