/**
 * The byte work of large Git objects in slices on Kiln's main thread: hashing, deflating,
 * inflating and decoding a megabyte costs tens of milliseconds of CPU (over 100 ms at load 11),
 * and run in one go it holds every app's requests that long (seconds for an app of many such
 * files). Here it runs in steps of at most `STEP_BYTES`, giving the event loop a turn whenever
 * `SLICE_MS` have passed.
 */
import { Slicer } from "../core/mod.ts";
import { nodeCrypto } from "../core/node/mod.ts";
import { inflateExact, loadPako } from "./_inflate.ts";

/** Objects from this size on are sliced (below, the work is well under a millisecond). */
export const SLICED_BYTES = 64 * 1024;

/** Bytes handled per step: well under a millisecond of native work. */
const STEP_BYTES = 64 * 1024;

/** SHA-1 of `bytes`, hex. */
export async function sha1Sliced(bytes: Uint8Array, slicer = new Slicer()): Promise<string> {
  const hash = nodeCrypto().createHash("sha1");
  for (let at = 0; at < bytes.length; at += STEP_BYTES) {
    hash.update(bytes.subarray(at, at + STEP_BYTES));
    await slicer.pause();
  }
  return hash.digest("hex");
}

/** A zlib stream of `bytes` (what a loose object file holds). */
export async function deflateSliced(bytes: Uint8Array, slicer = new Slicer()): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const out = new Response(stream.readable).arrayBuffer();
  for (let at = 0; at < bytes.length; at += STEP_BYTES) {
    await writer.write(bytes.subarray(at, at + STEP_BYTES) as Uint8Array<ArrayBuffer>);
    await slicer.pause();
  }
  await writer.close();
  return new Uint8Array(await out);
}

/** `inflateExact` (see `_inflate.ts`), sliced for large objects. */
export async function inflateExactly(input: Uint8Array, size: number): Promise<Uint8Array | null> {
  return size < SLICED_BYTES ? inflateExact(input, size) : await inflateSliced(input, size);
}

const ENOUGH = Symbol("enough");
/** Compressed bytes fed per step: zlib's worst ratio (~1:1032) bounds what one step makes. */
const INFLATE_STEP = 4 * 1024;

/**
 * Inflates a zlib stream that must come out exactly `size` bytes; inflating stops one byte past
 * `size`, so a lying header cannot make it allocate more. Null when the stream is malformed,
 * truncated or of another size.
 */
export async function inflateSliced(
  input: Uint8Array,
  size: number,
  slicer = new Slicer(),
): Promise<Uint8Array | null> {
  const { Inflate } = await loadPako();
  const out = new Uint8Array(size);
  let got = 0;
  let over = false;
  let ended = false;
  const inflater = new Inflate({ chunkSize: STEP_BYTES });
  inflater.onData = (chunk) => {
    if (got + chunk.length > size) {
      over = true;
      throw ENOUGH;
    }
    out.set(chunk, got);
    got += chunk.length;
  };
  inflater.onEnd = (status) => {
    ended = status === 0;
  };
  try {
    for (let at = 0; at < input.length && !ended; at += INFLATE_STEP) {
      const last = at + INFLATE_STEP >= input.length;
      if (!inflater.push(input.subarray(at, at + INFLATE_STEP), last)) break;
      await slicer.pause();
    }
  } catch (err) {
    if (err !== ENOUGH) throw err;
  }
  return !over && ended && got === size ? out : null;
}

/**
 * Strict UTF-8 text of `bytes` (a BOM kept), or null when they are not UTF-8: decoded a step at
 * a time, each step cut before a character's first byte and decoded whole (Deno's streaming
 * decoder is several times slower).
 */
export async function decodeSliced(
  bytes: Uint8Array,
  slicer = new Slicer(),
): Promise<string | null> {
  const parts: string[] = [];
  try {
    for (let at = 0; at < bytes.length;) {
      let end = Math.min(bytes.length, at + STEP_BYTES);
      // Back up over continuation bytes (10xxxxxx), at most three: more is not UTF-8, and the
      // next step, starting with one, fails.
      for (let back = 0; back < 3 && end < bytes.length && (bytes[end] & 0xc0) === 0x80; back++) {
        end--;
      }
      parts.push(UTF8.decode(bytes.subarray(at, end)));
      at = end;
      await slicer.pause();
    }
  } catch {
    return null;
  }
  return parts.join("");
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
