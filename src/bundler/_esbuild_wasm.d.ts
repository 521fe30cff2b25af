/** esbuild's compiled WebAssembly module, for `esbuild.initialize({ wasmModule })`. */
declare const esbuildWasm: WebAssembly.Module;
export default esbuildWasm;
