import assert from "node:assert/strict";
import { TOOL_ARGS as ARGS } from "../../tests/_support/tool_args.ts";
import { toolError } from "./_results.ts";
import { withTools } from "../../tests/_support/tools.ts";
import type { ToolCaller } from "./tool.ts";

/** The app-key permission each core tool needs: the contract, written out independently. */
const PERMISSION: Record<string, string> = {
  "core.framework.getConfigValue": "app:read",
  "core.framework.logFrameworkMessage": "log:write",
  "core.state.getDefinitionFileContent": "definitions:read",
  "core.state.getFileContent": "definitions:read",
  "core.state.applyDefinitionDiff": "definitions:write",
  "core.state.applyStateDiff": "definitions:write",
  "core.state.setDefinitionFileContent": "definitions:write",
  "core.state.deleteDefinitionFile": "definitions:write",
  "core.state.listDefinitionDirectory": "definitions:read",
  "core.state.setRuntimeValue": "runtime:write",
  "core.state.getRuntimeValue": "runtime:read",
  "core.state.deleteRuntimeValue": "runtime:write",
  "core.state.incrementRuntimeValue": "runtime:write",
  "core.llm.generate": "llm:generate",
  "core.linux.executeCommand": "linux:execute",
  "core.filesystem.readFile": "filesystem:read",
  "core.filesystem.writeFile": "filesystem:write",
  "core.framework.getApplicationDetails": "app:read",
  "core.framework.getApplicationStatus": "app:read",
  "core.framework.listActiveApplications": "app:read",
  "core.metrics.query": "metrics:read",
  "core.metrics.list": "metrics:read",
  "core.metrics.record": "metrics:write",
  "core.jit.list": "jit:read",
  "core.jit.status": "jit:read",
  "core.jit.generation": "jit:read",
  "core.jit.generate": "jit:write",
  "core.jit.promote": "jit:write",
  "core.jit.rollback": "jit:write",
  "core.optimization.evaluate": "jit:write",
  "core.optimization.audit": "jit:read",
};
const ADMIN_ONLY = new Set([
  "core.framework.registerApplication",
  "core.framework.deregisterApplication",
]);
const ALIAS: Record<string, string> = {
  "core.state.getFileContent": "core.state.getDefinitionFileContent",
  "core.state.applyStateDiff": "core.state.applyDefinitionDiff",
};

/** Who may call `tool`, decided from the contract alone; registry reads name `appArg`. */
function expected(caller: ToolCaller, tool: string, appArg = "shop"): boolean {
  const app = /^app\.([^.]+)\./.exec(tool)?.[1];
  const registryRead = !ADMIN_ONLY.has(tool) && tool.includes("Application");
  if (caller.kind === "admin") {
    return app !== undefined || ADMIN_ONLY.has(tool) || registryRead || caller.appId !== undefined;
  }
  if (ADMIN_ONLY.has(tool)) return false;
  const named = tool === "core.framework.listActiveApplications" ? undefined : appArg;
  const target = app ?? (registryRead ? named : undefined) ?? caller.appId;
  if (target !== caller.appId) return false;
  if (caller.kind === "execution") {
    if (caller.expiresAt <= Date.now()) return false;
    const names = [tool, ALIAS[tool], ...Object.keys(ALIAS).filter((a) => ALIAS[a] === tool)];
    return names.some((n) => n && caller.tools.includes(n));
  }
  const needed = app ? "invoke" : PERMISSION[tool];
  return caller.permissions.some((p) =>
    p === "*" || p === needed || p === `${needed.split(":")[0]}:*`
  );
}

Deno.test("every listed tool × every kind of caller: no unauthorized call succeeds", async () => {
  await withTools(async ({ tools, admin, key, exec }) => {
    const names = tools.list({ kind: "admin", appId: "shop" }).map((l) => l.name);
    assert.ok(names.includes("app.shop.getUser") && names.includes("app.bank.getUser"));
    const appArgs = { id: "1" };
    for (const name of names) {
      assert.ok(name.startsWith("app.") || ARGS[name], `the matrix has arguments for ${name}`);
    }
    const everything = [...names];
    const callers: [string, ToolCaller][] = [
      ["admin with app", admin],
      ["admin without app", { kind: "admin" }],
      ["app key (full)", key(["*"])],
      ["app key of another app", key(["*"], "bank")],
      ["app key without the permission", key(["app:read"])],
      ["execution token with the tools", exec(everything)],
      ["execution token without the tools", exec(["core.state.getRuntimeValue"])],
      ["expired execution token", { ...exec(everything), expiresAt: Date.now() - 1 } as ToolCaller],
    ];
    let unauthorizedSuccesses = 0;
    let checked = 0;
    for (const [who, caller] of callers) {
      const listed = new Set(tools.list(caller).map((l) => l.name));
      for (const name of names) {
        const allowed = expected(caller, name);
        const result = await tools.call(
          name,
          name.startsWith("app.") ? appArgs : ARGS[name],
          caller,
        );
        const error = toolError(result);
        checked++;
        if (!allowed) {
          if (!result.isError) unauthorizedSuccesses++;
          assert.equal(error?.code, "FORBIDDEN", `${who} → ${name}: ${error?.message}`);
        } else {
          assert.notEqual(error?.code, "FORBIDDEN", `${who} → ${name}: ${error?.message}`);
          assert.doesNotMatch(error?.message ?? "", /^invalid arguments/, `${who} → ${name}`);
        }
        const offered = caller.kind === "admin" || expected(caller, name, caller.appId);
        assert.equal(listed.has(name), offered, `${who} is offered ${name}: ${offered}`);
      }
    }
    assert.equal(unauthorizedSuccesses, 0);
    assert.equal(checked, names.length * callers.length);
  });
});
