/**
 * `parts` as one array, cut at `length` bytes when given. One part (and no cut) is returned as it
 * is. Node's `Buffer.concat` copies byte by byte in JavaScript in Deno; this is `set` per part.
 */
export function concatBytes(parts: readonly Uint8Array[], length?: number): Uint8Array {
  if (parts.length === 1 && (length === undefined || length === parts[0].length)) return parts[0];
  let total = 0;
  for (const part of parts) total += part.length;
  const size = length === undefined ? total : Math.min(length, total);
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    if (at >= size) break;
    const take = Math.min(part.length, size - at);
    out.set(take === part.length ? part : part.subarray(0, take), at);
    at += take;
  }
  return out;
}
