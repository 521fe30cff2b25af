/** Arguments that pass validation for every core tool (and alias), so a denial is the only failure; shared by the in-process and the over-HTTP authorization matrices. */
export const TOOL_ARGS: Record<string, Record<string, unknown>> = {
  "core.framework.getConfigValue": { key: "greeting" },
  "core.framework.logFrameworkMessage": { level: "info", message: "matrix" },
  "core.state.getDefinitionFileContent": { filePath: "app_definition.yaml" },
  "core.state.getFileContent": { filePath: "app_definition.yaml" },
  "core.state.applyDefinitionDiff": {
    filePath: "a.yaml",
    diffContent: "--- a/a.yaml\n+++ b/a.yaml\n@@ -0,0 +1 @@\n+a: 1\n",
    expectedBaseRevision: "0".repeat(40),
    commitMessage: "m",
  },
  "core.state.setDefinitionFileContent": {
    filePath: "notes/m.md",
    content: "m\n",
    commitMessage: "m",
  },
  "core.state.deleteDefinitionFile": { filePath: "notes/none.md", commitMessage: "m" },
  "core.state.listDefinitionDirectory": {},
  "core.state.setRuntimeValue": { key: "m", value: 1 },
  "core.state.getRuntimeValue": { key: "m" },
  "core.state.deleteRuntimeValue": { key: "m" },
  "core.state.incrementRuntimeValue": { key: "n" },
  "core.llm.generate": { prompt: "hi" },
  "core.linux.executeCommand": { command: "/bin/true", arguments: [] },
  "core.filesystem.readFile": { path: "a" },
  "core.filesystem.writeFile": { path: "a", content: "b" },
  "core.framework.registerApplication": { directory: "/nonexistent/kiln-matrix" },
  "core.framework.getApplicationDetails": { appId: "shop" },
  "core.framework.getApplicationStatus": { appId: "shop" },
  "core.framework.listActiveApplications": {},
  "core.framework.deregisterApplication": { appId: "ghost" },
};
TOOL_ARGS["core.state.applyStateDiff"] = TOOL_ARGS["core.state.applyDefinitionDiff"];
