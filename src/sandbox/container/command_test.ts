import assert from "node:assert/strict";
import { KilnError } from "../../core/mod.ts";
import { allowlistFrom, checkCommand, isPlainAbsolutePath } from "./command.ts";

const ALLOW = ["/bin/echo", "/usr/bin/id"];
const refused = (command: string, args: string[] = []) =>
  assert.throws(() => checkCommand({ command, arguments: args }, ALLOW), (err) => {
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "FORBIDDEN", command);
    return true;
  });

Deno.test("checkCommand() accepts exactly the allowlisted paths", () => {
  checkCommand({ command: "/bin/echo", arguments: ["a; rm -rf /", "$(id)"] }, ALLOW);
  checkCommand({ command: "/usr/bin/id", arguments: [] }, ALLOW);
});

Deno.test("checkCommand() refuses relative paths, dot segments, lookalikes and shell syntax", () => {
  for (
    const command of [
      "echo",
      "bin/echo",
      "./bin/echo",
      "/bin/../bin/echo",
      "/bin/./echo",
      "//bin/echo",
      "/bin//echo",
      "/bin/echo/",
      "/bin/echo ",
      " /bin/echo",
      "/bin/echo;id",
      "/bin/echo && id",
      "/bin/echo|id",
      "$(/bin/echo)",
      "`/bin/echo`",
      "LD_PRELOAD=/tmp/x.so /bin/echo",
      "PATH=/tmp /bin/echo",
      "/BIN/ECHO",
      "/bin/echo\n/usr/bin/id",
      "/bin/echo\0",
      "/bin/sh",
    ]
  ) refused(command);
});

Deno.test("allowlistFrom() keeps only plain absolute paths", () => {
  assert.deepEqual(allowlistFrom(["/bin/echo", "echo", "/bin/../x", 3, "/usr/bin/id"]), ALLOW);
  assert.deepEqual(allowlistFrom("/bin/echo"), []);
  assert.equal(isPlainAbsolutePath("/"), false);
});
