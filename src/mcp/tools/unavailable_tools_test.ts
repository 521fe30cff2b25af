import assert from "node:assert/strict";
import { failed, withTools } from "../_test_support.ts";

Deno.test("LLM and Linux tools validate, then answer NOT_AVAILABLE until they land", async () => {
  await withTools(async ({ tools, admin }) => {
    const calls: [string, Record<string, unknown>, RegExp][] = [
      ["core.llm.generate", { prompt: "hi" }, /issue #6/],
      ["core.llm.generate", { messages: [{ role: "user", content: "hi" }] }, /issue #6/],
      ["core.linux.executeCommand", { command: "/bin/echo", arguments: ["hi"] }, /issue #5/],
    ];
    for (const [name, args, why] of calls) {
      assert.match(failed(await tools.call(name, args, admin), "NOT_AVAILABLE").message, why);
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
