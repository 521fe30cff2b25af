// How the Deno runner reads a guest's output: in constant work per byte, whatever its shape.
const decoder = new TextDecoder();

/** Splits a byte stream into lines, touching each byte once; `pending` is the open line's size. */
export class Lines {
  parts = [];
  pending = 0;
  feed(chunk) {
    const lines = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      this.parts.push(chunk.subarray(start, nl));
      lines.push(concat(this.parts));
      this.parts = [];
      this.pending = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      this.parts.push(chunk.subarray(start));
      this.pending += chunk.length - start;
    }
    return lines;
  }
}

export function concat(parts) {
  if (parts.length === 1) return parts[0];
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Whether JSON text nests deeper than `max` (strings skipped), in one pass. */
export function nestsDeeper(bytes, max) {
  let depth = 0, inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** The last `size` bytes of a stream, kept in amortized constant work per byte. */
export class Tail {
  constructor(size) {
    this.size = size;
    this.bytes = new Uint8Array(0);
  }
  push(chunk) {
    const keep = chunk.length >= this.size ? chunk.subarray(chunk.length - this.size) : chunk;
    this.bytes = concat([
      this.bytes.subarray(Math.max(0, this.bytes.length + keep.length - this.size)),
      keep,
    ]);
  }
  text() {
    return decoder.decode(this.bytes);
  }
}
