/** The wasm tier (SPEC §5): QuickJS in WebAssembly for JavaScript, WASI components via a runner. */
export { WasmTier } from "./wasm_tier.ts";
export type { WasmTierOptions } from "./wasm_tier.ts";
export type { ComponentRunner } from "./component_runner.ts";
export { JcoComponentRunner } from "./component/jco_runner.ts";
export type { JcoRunnerOptions } from "./component/jco_runner.ts";
