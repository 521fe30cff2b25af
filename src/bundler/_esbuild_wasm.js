// @ts-self-types="./_esbuild_wasm.d.ts"
// A source-phase import (TypeScript cannot parse it yet): the compiled esbuild binary, embedded by
// `deno compile` and loaded with no read permission.
import source esbuildWasm from "esbuild-wasm/esbuild.wasm";

export default esbuildWasm;
