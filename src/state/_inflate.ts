import { concatBytes } from "../core/mod.ts";
import { nodeZlib } from "../core/node/mod.ts";
import type { Inflate } from "./_pako.d.ts";

// pako (CommonJS) loads with the first object read, not with Kiln: an empty node reads none.
let pako: Promise<{ Inflate: typeof Inflate }> | undefined;
export const loadPako = (): Promise<{ Inflate: typeof Inflate }> =>
  pako ??= import("pako").then((m) =>
    (m as unknown as { default: { Inflate: typeof Inflate } }).default
  );

const ENOUGH = Symbol("enough");
const Z_SYNC_FLUSH = 2;

/**
 * The first `want` bytes a zlib stream inflates to (fewer if it ends sooner), reading `input`
 * in small steps and stopping as soon as they are out, so a stream that inflates to gigabytes
 * costs no more than its first bytes. Malformed input yields what came out before the error.
 */
export async function inflatePrefix(input: Uint8Array, want: number): Promise<Uint8Array> {
  const { Inflate } = await loadPako();
  const parts: Uint8Array[] = [];
  let got = 0;
  const inflater = new Inflate({ chunkSize: Math.max(64, Math.min(want, 1 << 16)) });
  inflater.onData = (chunk) => {
    parts.push(chunk.slice());
    got += chunk.length;
    if (got >= want) throw ENOUGH;
  };
  inflater.onEnd = () => {};
  try {
    for (let at = 0; at < input.length && got < want; at += 512) {
      if (!inflater.push(input.subarray(at, at + 512), Z_SYNC_FLUSH)) break;
    }
  } catch (err) {
    if (err !== ENOUGH) throw err;
  }
  return concatBytes(parts, Math.min(got, want));
}

/**
 * Inflates a zlib stream that must come out exactly `size` bytes; anything longer is cut off
 * by zlib itself at `size + 1` bytes, so a lying header cannot make it allocate more. Null when
 * the stream is malformed, truncated or of another size.
 */
export function inflateExact(input: Uint8Array, size: number): Uint8Array | null {
  try {
    const out = nodeZlib().inflateSync(input, { maxOutputLength: size + 1 });
    return out.length === size ? new Uint8Array(out.buffer, out.byteOffset, out.length) : null;
  } catch {
    return null;
  }
}

/** How many compressed bytes a zlib stream of `size` bytes can take at most (zlib's bound). */
export function deflateBound(size: number): number {
  return size + (size >> 12) + (size >> 14) + (size >> 25) + 64;
}
