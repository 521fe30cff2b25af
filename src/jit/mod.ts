/** The JIT runner (SPEC §9, interpreter mode): component scripts to code a sandbox tier runs. */
export { JitRunner } from "./jit_runner.ts";
export type { CodeRequest, JitStats, JitTask } from "./jit_runner.ts";
export { IIFE_GLOBAL, SDK_MODULE } from "./_bundler.ts";
