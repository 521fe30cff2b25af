import * as esbuild from "esbuild-wasm/esm/browser.js";
const mb = () => (Deno.memoryUsage().rss / 1048576).toFixed(0);
console.log("start", mb());
const { default: wasmModule } = await import("./src/bundler/_esbuild_wasm.js");
console.log("module loaded", mb());
await esbuild.initialize({ wasmModule, worker: false });
console.log("initialized", mb());
await esbuild.transform("export const a = (x: number) => x + 1", { loader: "ts" });
console.log("after transform", mb());
for (let i = 0; i < 20; i++) await esbuild.transform("export const a = (x: number) => x + " + i, { loader: "ts" });
console.log("after 20 transforms", mb());
await esbuild.stop?.();
// @ts-ignore gc
globalThis.gc?.(); await new Promise((r) => setTimeout(r, 500)); globalThis.gc?.();
console.log("after stop+gc", mb());
