/**
 * The code loader (contract §9 interpreter mode): component scripts bundled with esbuild into the
 * code a sandbox tier runs, cached by content; and the `handlerType: jit` kind that runs
 * hand-written code on the tier that fits it.
 */
export { CodeBundler } from "./code_bundler.ts";
export { codeHandler, prepareCode } from "./code_handler.ts";
export { bundleEsm, esmToIife } from "./_esbuild.ts";
export { wasmComponentIssues } from "./component_issues.ts";
