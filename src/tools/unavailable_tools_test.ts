import assert from "node:assert/strict";
import { failed, withTools } from "../../tests/_support/tools.ts";

Deno.test("LLM and Linux tools validate, then answer why they cannot run here", async () => {
  await withTools(async ({ tools, admin }) => {
    const calls: [string, Record<string, unknown>, string, RegExp][] = [
      ["core.llm.generate", { prompt: "hi" }, "LLM_NOT_CONFIGURED", /"small"/],
      [
        "core.llm.generate",
        { messages: [{ role: "user", content: "hi" }] },
        "LLM_NOT_CONFIGURED",
        /"small".*no profiles/,
      ],
      [
        "core.linux.executeCommand",
        { command: "/bin/echo", arguments: ["hi"] },
        "UNAVAILABLE",
        /core\.linux is not available on this node: the container tier is not running/,
      ],
    ];
    for (const [name, args, code, why] of calls) {
      assert.match(failed(await tools.call(name, args, admin), code).message, why);
    }
    const invalid: [string, Record<string, unknown>][] = [
      ["core.llm.generate", {}],
      ["core.llm.generate", { prompt: "a", messages: [{ role: "user", content: "b" }] }],
      ["core.linux.executeCommand", { command: "echo", arguments: [] }],
      ["core.filesystem.writeFile", { path: "a.txt" }],
    ];
    for (const [name, args] of invalid) {
      failed(await tools.call(name, args, admin), "VALIDATION_ERROR");
    }
  });
});
