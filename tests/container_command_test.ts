import assert from "node:assert/strict";
import type { SandboxPool } from "../src/models/mod.ts";
import { DENO_RUNNER_IMAGE, PYTHON_RUNNER_IMAGE } from "../src/sandbox/container/mod.ts";
import { dockerTests, kilnError, withTier } from "./_support/containers.ts";

const { ignore } = await dockerTests();
const test = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore, fn, sanitizeOps: false, sanitizeResources: false });

const ALLOW = [
  "/bin/echo",
  "/usr/bin/id",
  "/bin/cat",
  "/bin/sleep",
  "/bin/ln",
  "/tmp/sneaky",
  "/proc/self/exe",
];
const pool = (dockerImage: string): SandboxPool[] => [{
  poolName: "tools",
  dockerImage,
  minInstances: 1,
  maxInstances: 1,
  resourceLimits: { cpuLimit: 1, memoryLimit: "256m" },
  volumeMounts: [],
  egress: false,
}];

for (const [runner, image] of [["deno", DENO_RUNNER_IMAGE], ["python", PYTHON_RUNNER_IMAGE]]) {
  test(`executeCommand (${runner} runner) runs allowlisted programs without a shell, unprivileged`, async () => {
    await withTier({}, async (tier) => {
      tier.setAppPools("cmd-app", pool(image));
      const run = (
        command: string,
        args: string[] = [],
        o: { stdin?: string; timeoutSeconds?: number } = {},
      ) => tier.executeCommand("cmd-app", { command, arguments: args, ...o }, ALLOW);

      const echo = await run("/bin/echo", [
        "hi; id",
        "$(id)",
        "`id`",
        "| cat /etc/passwd",
        "&&",
        "*",
      ]);
      assert.deepEqual(echo, {
        exitCode: 0,
        stdout: "hi; id $(id) `id` | cat /etc/passwd && *\n",
        stderr: "",
      });
      assert.match((await run("/usr/bin/id")).stdout, /^uid=10001\(kiln\) gid=10001\(kiln\)/);
      assert.equal((await run("/bin/cat", [], { stdin: "from stdin" })).stdout, "from stdin");
      const env = (await run("/bin/cat", ["/proc/self/environ"])).stdout.split("\0").filter(
        Boolean,
      );
      assert.deepEqual(env.map((e) => e.split("=")[0]).sort(), ["HOME", "LANG", "PATH"]);
      assert.equal((await run("/bin/cat", ["/nope"])).exitCode, 1);

      const slow = await run("/bin/sleep", ["30"], { timeoutSeconds: 1 });
      assert.equal(slow.exitCode, 124);
      assert.match(slow.stderr, /killed after the 1 s timeout/);

      const big = await run("/bin/cat", [
        runner === "deno" ? "/usr/local/bin/deno" : "/usr/bin/python3",
      ]);
      assert.ok(big.stdout.length <= 1 << 21, `${big.stdout.length} chars`);
      assert.match(big.stderr, /output cut at/);
    });
  });

  test(`executeCommand (${runner} runner) refuses allowlist bypasses`, async () => {
    await withTier({}, async (tier) => {
      tier.setAppPools("cmd-app", pool(image));
      const run = (command: string, args: string[] = []) =>
        tier.executeCommand("cmd-app", { command, arguments: args }, ALLOW);
      for (
        const command of [
          "echo",
          "bin/echo",
          "./echo",
          "../../bin/echo",
          "/bin/../bin/echo",
          "/usr/../bin/echo",
          "/bin/./echo",
          "//bin/echo",
          "/bin/echo;/usr/bin/id",
          "/bin/echo && /usr/bin/id",
          "/bin/echo | /bin/cat",
          "$(/usr/bin/id)",
          "LD_PRELOAD=/tmp/x.so /bin/echo",
          "PATH=/tmp /bin/echo",
          "/bin/ls",
          "/usr/bin/env",
          "/bin/sh",
        ]
      ) await assert.rejects(run(command), kilnError("FORBIDDEN"), command);

      // An allowlisted name that is a symlink to another program is refused in the container.
      await assert.rejects(run("/proc/self/exe", ["--version"]), (err) => {
        kilnError("FORBIDDEN")(err);
        assert.match((err as Error).message, /symlink/);
        return true;
      });
      // A symlink one command plants is gone before the next: /tmp is emptied after each.
      const link = await run("/bin/ln", ["-s", "/usr/bin/env", "/tmp/sneaky"]);
      assert.equal(link.exitCode, 0, link.stderr);
      assert.equal((await run("/tmp/sneaky", ["/bin/sh"])).exitCode, 127);
      // Environment assignments as arguments are just arguments: no env injection.
      const out = await run("/bin/echo", ["LD_PRELOAD=/tmp/x.so", "PATH=/tmp"]);
      assert.equal(out.stdout, "LD_PRELOAD=/tmp/x.so PATH=/tmp\n");
    });
  });
}
