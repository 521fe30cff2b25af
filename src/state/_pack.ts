/**
 * Reading Git packs without loading them: the `.idx` (version 2) is searched with positioned
 * reads — the fan-out table, then only the slice of object ids that share the first byte — and
 * a pack entry's header says its type and size before a single byte of it is inflated.
 */
import { GitCorrupt } from "./_git_errors.ts";

const IDX_MAGIC = 0xff744f63;
const FANOUT_AT = 8;
const IDS_AT = FANOUT_AT + 256 * 4;

/** A pack entry as its header describes it; `size` is the inflated size of its own data. */
export interface PackEntry {
  /** 1 commit, 2 tree, 3 blob, 4 tag, 6 offset delta, 7 reference delta. */
  kind: number;
  size: number;
  /** Where the zlib data starts. */
  dataAt: number;
  /** For an offset delta: where its base starts. */
  baseAt?: number;
  /** For a reference delta: its base's id. */
  baseId?: string;
}

/** One `pack-*.pack` with its index; immutable once Git has written both. */
export class Pack {
  #fanout: Uint32Array | null = null;

  constructor(readonly idxPath: string, readonly packPath: string) {}

  /** The offset of `oid` in the pack, or null when the pack does not hold it. */
  async find(oid: string): Promise<number | null> {
    const [lo, hi] = await this.#bucket(Number.parseInt(oid.slice(0, 2), 16));
    if (lo === hi) return null;
    const ids = await readAt(this.idxPath, IDS_AT + lo * 20, (hi - lo) * 20);
    const want = hexBytes(oid);
    let a = 0, b = hi - lo;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const c = compare(ids, mid * 20, want);
      if (c === 0) return await this.#offset(lo + mid);
      if (c < 0) a = mid + 1;
      else b = mid;
    }
    return null;
  }

  /** Ids in the pack that start with `prefix` (hex), at most `max` of them. */
  async startingWith(prefix: string, max: number): Promise<string[]> {
    const [lo, hi] = await this.#bucket(Number.parseInt(prefix.slice(0, 2), 16));
    if (lo === hi) return [];
    const ids = await readAt(this.idxPath, IDS_AT + lo * 20, (hi - lo) * 20);
    const out: string[] = [];
    for (let i = 0; i < hi - lo && out.length < max; i++) {
      const hex = toHex(ids.subarray(i * 20, i * 20 + 20));
      if (hex.startsWith(prefix)) out.push(hex);
    }
    return out;
  }

  /** The header of the entry at `offset`: no data is inflated. */
  async entry(offset: number): Promise<PackEntry> {
    const head = await readAt(this.packPath, offset, 64);
    let i = 0;
    let byte = head[i++];
    const kind = (byte >> 4) & 7;
    let size = byte & 15, scale = 16;
    while (byte & 0x80) {
      if (i >= head.length || scale > 2 ** 42) throw corrupt(this, offset, "size");
      byte = head[i++];
      size += (byte & 0x7f) * scale;
      scale *= 128;
    }
    if (kind === 6) {
      byte = head[i++];
      let back = byte & 0x7f;
      while (byte & 0x80) {
        if (i >= head.length || back > 2 ** 42) throw corrupt(this, offset, "delta offset");
        byte = head[i++];
        back = (back + 1) * 128 + (byte & 0x7f);
      }
      if (back <= 0 || back > offset) throw corrupt(this, offset, "delta offset");
      return { kind, size, dataAt: offset + i, baseAt: offset - back };
    }
    if (kind === 7) {
      if (i + 20 > head.length) throw corrupt(this, offset, "delta base");
      return { kind, size, dataAt: offset + i + 20, baseId: toHex(head.subarray(i, i + 20)) };
    }
    if (kind < 1 || kind > 4) throw corrupt(this, offset, `type ${kind}`);
    return { kind, size, dataAt: offset + i };
  }

  /** Up to `length` bytes of the pack from `offset` (fewer at its end). */
  read(offset: number, length: number): Promise<Uint8Array> {
    return readAt(this.packPath, offset, length);
  }

  async #bucket(first: number): Promise<[number, number]> {
    if (!this.#fanout) {
      const head = await readAt(this.idxPath, 0, IDS_AT);
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      if (head.length < IDS_AT || view.getUint32(0) !== IDX_MAGIC || view.getUint32(4) !== 2) {
        throw new GitCorrupt(`${this.idxPath} is not a version 2 pack index`);
      }
      const fanout = new Uint32Array(256);
      for (let i = 0; i < 256; i++) fanout[i] = view.getUint32(FANOUT_AT + i * 4);
      this.#fanout = fanout;
    }
    return [first === 0 ? 0 : this.#fanout[first - 1], this.#fanout[first]];
  }

  async #offset(index: number): Promise<number> {
    const count = this.#fanout![255];
    const at = IDS_AT + count * 24 + index * 4;
    const small = new DataView((await readAt(this.idxPath, at, 4)).buffer).getUint32(0);
    if (!(small & 0x80000000)) return small;
    const large = await readAt(this.idxPath, IDS_AT + count * 28 + (small & 0x7fffffff) * 8, 8);
    const view = new DataView(large.buffer);
    return view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  }
}

/** Up to `length` bytes of a file from `offset`. */
export async function readAt(path: string, offset: number, length: number): Promise<Uint8Array> {
  const file = await Deno.open(path, { read: true });
  try {
    if (offset > 0) await file.seek(offset, Deno.SeekMode.Start);
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const n = await file.read(out.subarray(at));
      if (n === null) break;
      at += n;
    }
    return at === length ? out : out.slice(0, at);
  } finally {
    file.close();
  }
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function compare(ids: Uint8Array, at: number, want: Uint8Array): number {
  for (let i = 0; i < 20; i++) {
    const d = ids[at + i] - want[i];
    if (d !== 0) return d;
  }
  return 0;
}

function corrupt(pack: Pack, offset: number, what: string): GitCorrupt {
  return new GitCorrupt(`${pack.packPath} has a malformed entry at ${offset} (${what})`);
}
