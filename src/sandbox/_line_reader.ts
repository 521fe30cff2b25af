/**
 * Splits a byte stream into newline-terminated frames in constant work per byte: each chunk is
 * scanned once for newlines, a frame's pieces are kept as views and joined once when its line
 * ends, and nothing already seen is ever rescanned. Lines that do not start with `prefix` are
 * stray output: they are handed on piece by piece as they arrive and never buffered, so a guest
 * that writes a gigabyte without a newline costs a counter, not memory. A frame longer than
 * `maxFrameBytes()` is dropped as soon as it crosses the limit and reported once.
 *
 * Kiln reads its sandbox hosts' frame channels with it (every line a frame, bounded), so a host
 * that went rogue cannot make Kiln buffer without limit.
 */
export interface LineReaderOptions {
  /** Lines starting with these bytes are frames (the prefix stripped); empty: every line is. */
  prefix: Uint8Array;
  /** The largest frame accepted, prefix excluded. */
  maxFrameBytes(): number;
  /** One complete frame, without the prefix and the newline. Empty frames are skipped. */
  frame(bytes: Uint8Array): void;
  /** A piece of stray output (any part of a line that is not a frame, newlines excluded). */
  stray(bytes: Uint8Array): void;
  /** A frame grew past `maxFrameBytes()`; the rest of its line is dropped. */
  oversize(): void;
}

/** Answers a function to feed chunks to, in order. */
export function lineReader(opts: LineReaderOptions): (chunk: Uint8Array) => void {
  const UNDECIDED = 0, FRAME = 1, STRAY = 2, DROPPING = 3;
  const prefix = opts.prefix;
  const head = new Uint8Array(prefix.length);
  let mode = UNDECIDED, headLength = 0, size = 0;
  let parts: Uint8Array[] = [];

  const take = (piece: Uint8Array) => {
    if (mode === UNDECIDED) {
      const n = Math.min(prefix.length - headLength, piece.length);
      for (let i = 0; i < n; i++) {
        if (piece[i] === prefix[headLength + i]) continue;
        mode = STRAY;
        if (headLength > 0) opts.stray(head.slice(0, headLength));
        return opts.stray(piece);
      }
      head.set(piece.subarray(0, n), headLength);
      headLength += n;
      if (headLength < prefix.length) return;
      mode = FRAME;
      piece = piece.subarray(n);
    }
    if (mode === STRAY) return opts.stray(piece);
    if (mode === DROPPING || piece.length === 0) return;
    size += piece.length;
    if (size > opts.maxFrameBytes()) {
      mode = DROPPING;
      parts = [];
      return opts.oversize();
    }
    parts.push(piece);
  };

  const endLine = () => {
    if (mode === UNDECIDED && headLength > 0) opts.stray(head.slice(0, headLength));
    if (mode === FRAME && size > 0) {
      let frame = parts[0];
      if (parts.length > 1) {
        frame = new Uint8Array(size);
        let at = 0;
        for (const part of parts) (frame.set(part, at), at += part.length);
      }
      parts = [];
      opts.frame(frame);
    }
    parts = [];
    mode = UNDECIDED;
    headLength = 0;
    size = 0;
  };

  return (chunk: Uint8Array) => {
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(10, at);
      take(chunk.subarray(at, nl < 0 ? chunk.length : nl));
      if (nl < 0) return;
      endLine();
      at = nl + 1;
    }
  };
}
