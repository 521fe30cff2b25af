/**
 * App authoring: the templates `kiln app new` writes, and the test runner of `kiln app test`
 * (the `tests/*.test.yaml` format, cases run over a Kiln's HTTP ingress, schema example checks).
 */
export { TEMPLATE_NAMES, templateFiles } from "./templates.ts";
export { loadTestFiles } from "./test_file.ts";
export type { LoadedTests } from "./test_file.ts";
export { runCases, schemaChecks } from "./run_app_tests.ts";
export type { CaseResult, ToolAnswer } from "./run_app_tests.ts";
