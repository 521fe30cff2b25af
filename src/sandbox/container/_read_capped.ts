import { sandboxKilled } from "../../core/mod.ts";

/** The body as text, refusing more than `maxBytes`. */
export async function readCapped(res: Request | Response, maxBytes: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw sandboxKilled("output", `the sandbox runner answered more than ${maxBytes} bytes`, {
        tier: "container",
      });
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new TextDecoder().decode(all);
}
