/**
 * The wasm tier (contract §5): QuickJS in WebAssembly for JavaScript, WASI components via a runner.
 */
export { WasmTier } from "./wasm_tier.ts";
export { JcoComponentRunner } from "./component/jco_runner.ts";
export { handlerWorldProblems } from "./component/handler_world.ts";
export { KILN_WORLDS } from "./component/handler_wit.ts";
