import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { componentBytes } from "./_wasm_text.ts";

const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0, 42, 255]);
const b64 = btoa(String.fromCharCode(...WASM));
const noFiles = () => Promise.resolve(null);

Deno.test("componentBytes() decodes base64 text, line breaks and spaces included", async () => {
  const wrapped = `${b64.slice(0, 5)}\n ${b64.slice(5)}\r\n`;
  assert.deepEqual(await componentBytes("c.wasm", wrapped, noFiles), WASM);
});

Deno.test("componentBytes() joins a parts manifest in its folder's order", async () => {
  const files: Record<string, string> = { "dir/a.b64": b64.slice(0, 8), "dir/b.b64": b64.slice(8) };
  const read = (path: string) => Promise.resolve(files[path] ?? null);
  const manifest = "# kiln wasm parts\na.b64\n# comment\nb.b64\n";
  assert.deepEqual(await componentBytes("dir/c.wasm", manifest, read), WASM);
});

Deno.test("componentBytes() refuses text that is not base64, or not WebAssembly", async () => {
  for (
    const [text, message] of [[`${b64}$`, /is not base64 text/], [
      btoa("hello world"),
      /no \\0asm header/,
    ]]
  ) {
    await assert.rejects(
      () => componentBytes("c.wasm", text as string, noFiles),
      (err: unknown) =>
        err instanceof KilnError && err.code === "COMPONENT_BUILD_FAILED" &&
        (message as RegExp).test(err.message),
    );
  }
});
