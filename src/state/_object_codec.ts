/**
 * The byte work of Git objects — hashing and deflating what Kiln stores, inflating and decoding
 * what it reads. Small objects, the common case, are done in one go; from `SLICED_BYTES` on, the
 * work is sliced (`_sliced.ts`) so that no object holds Kiln's main thread, and with it every
 * app's requests, for more than a few milliseconds at a time.
 *
 * Slicing won over a worker thread, measured on a real `kiln serve` (docs/performance.md):
 * starting a worker holds the main thread itself (20-100 ms at load 5), and its answers are
 * copied back on the main thread, so it saved little CPU and stalled longer.
 */
import { KilnError, Slicer } from "../core/mod.ts";
import { nodeZlib } from "../core/node/mod.ts";
import type { GitObjectType } from "./_object_reader.ts";
import { decodeSliced, deflateSliced, sha1Sliced, SLICED_BYTES } from "./_sliced.ts";

const ENCODER = new TextEncoder();
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const NON_ASCII = /[\u0080-\uffff]/;

/** How many bytes `text` takes as UTF-8; ASCII text (the common case) is not encoded. */
export function utf8Length(text: string): number {
  return NON_ASCII.test(text) ? ENCODER.encode(text).length : text.length;
}

/** A loose object's id and its file's bytes (`<type> <size>\0<data>`, deflated). */
export async function storeObject(
  type: GitObjectType,
  data: Uint8Array,
): Promise<{ oid: string; deflated: Uint8Array }> {
  const wrapped = wrap(type, data);
  if (data.length < SLICED_BYTES) {
    return { oid: await sha1Hex(wrapped), deflated: nodeZlib().deflateSync(wrapped) };
  }
  const slicer = new Slicer();
  return { oid: await sha1Sliced(wrapped, slicer), deflated: await deflateSliced(wrapped, slicer) };
}

/** Strict UTF-8 text of `bytes` (a BOM kept), or null when they are not UTF-8. */
export async function decodeText(bytes: Uint8Array): Promise<string | null> {
  if (bytes.length >= SLICED_BYTES) return await decodeSliced(bytes);
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Stores `data` as a loose object of `gitdir` and answers its id. Written aside and renamed, so
 * a reader never sees half an object; an object already there is left alone. With `expected`,
 * content hashing to another id is refused (Kiln's fault: INTERNAL).
 */
export async function writeLooseObject(
  gitdir: string,
  type: GitObjectType,
  data: Uint8Array,
  expected?: string,
): Promise<string> {
  const { oid, deflated } = await storeObject(type, data);
  if (expected !== undefined && oid !== expected) {
    throw new KilnError("INTERNAL", `object ${expected} has content hashing to ${oid}`);
  }
  const dir = `${gitdir}/objects/${oid.slice(0, 2)}`;
  const path = `${dir}/${oid.slice(2)}`;
  try {
    await Deno.lstat(path);
    return oid;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, deflated, { mode: 0o444 });
  await Deno.rename(tmp, path);
  return oid;
}

/** `<type> <size>\0<content>`: what Git hashes and deflates. */
function wrap(type: GitObjectType, data: Uint8Array): Uint8Array {
  const header = ENCODER.encode(`${type} ${data.length}\0`);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
