/**
 * Git objects read with their size known first. A pushed pack can hold a 2 MB blob that
 * inflates to gigabytes, so no object is inflated before its header says how large it is: a
 * loose object's first bytes are inflated alone, a packed object's size is in its entry header,
 * and a delta's result size in the first bytes of its data. Reads then inflate exactly the
 * announced size (zlib stops one byte past it) and apply deltas into a buffer of exactly the
 * announced result size, every object on a delta chain held to the same cap.
 */
import { type KilnError, limitExceeded, LIMITS } from "../core/mod.ts";
import { GitCorrupt, GitMissing } from "./_git_errors.ts";
import { deflateBound, inflatePrefix } from "./_inflate.ts";
import { inflateExactly } from "./_sliced.ts";
import { Pack, readAt } from "./_pack.ts";

export type GitObjectType = "commit" | "tree" | "blob" | "tag";

/** What an object is and how many bytes its content has, known without reading it. */
export interface ObjectHeader {
  type: GitObjectType;
  size: number;
}

const TYPES: Record<number, GitObjectType> = { 1: "commit", 2: "tree", 3: "blob", 4: "tag" };
const LOOSE_HEADER = /^(commit|tree|blob|tag) (\d{1,15})$/;
/** Git's own packs chain at most 50 deltas (`pack.depth`); `--aggressive` once used 250. */
const MAX_CHAIN = 256;

type Location =
  | { kind: "loose"; path: string; header: ObjectHeader; headerLength: number }
  | { kind: "packed"; pack: Pack; offset: number };

/**
 * Reads the objects of one repository (loose and packed); see the module doc. `objectDirs`
 * defaults to the repo's own; a push in quarantine is read from its quarantine directory first,
 * then the repo's (what Git gives its pre-receive hook as alternates).
 */
export class ObjectReader {
  #packs = new Map<string, Pack>();
  #listed = false;
  readonly objectDirs: readonly string[];

  constructor(readonly gitdir: string, objectDirs?: readonly string[]) {
    this.objectDirs = objectDirs ?? [`${gitdir}/objects`];
  }

  /** Type and size of `oid`, without inflating its content. */
  async header(oid: string): Promise<ObjectHeader> {
    return await this.#header(await this.#locate(oid), 0);
  }

  /**
   * The content of `oid`. When its header says it is larger than `max`, `tooLarge` makes the
   * error to throw before anything is inflated.
   */
  async read(
    oid: string,
    max: number,
    tooLarge: (header: ObjectHeader) => Error,
  ): Promise<{ type: GitObjectType; data: Uint8Array }> {
    const at = await this.#locate(oid);
    const header = await this.#header(at, 0);
    if (header.size > max) throw tooLarge(header);
    return await this.#read(at, 0);
  }

  /**
   * The first `length` bytes of `oid`'s content and its full size: enough of a huge commit for
   * its headers and the start of its message. Deltified objects are only read whole, so one
   * over the cap of any object on a chain is refused with `tooLarge`.
   */
  async readPrefix(
    oid: string,
    length: number,
    tooLarge: (header: ObjectHeader) => Error,
  ): Promise<{ header: ObjectHeader; data: Uint8Array }> {
    const at = await this.#locate(oid);
    const header = await this.#header(at, 0);
    if (header.size <= length) return { header, data: (await this.#read(at, 0)).data };
    if (at.kind === "loose") {
      const raw = await readAt(at.path, 0, deflateBound(at.headerLength + length) + 512);
      const data = (await inflatePrefix(raw, at.headerLength + length)).subarray(at.headerLength);
      return { header, data };
    }
    const entry = await at.pack.entry(at.offset);
    if (entry.kind >= 6) throw tooLarge(header);
    const raw = await at.pack.read(entry.dataAt, deflateBound(length) + 512);
    return { header, data: await inflatePrefix(raw, length) };
  }

  /** Full ids of objects starting with `prefix` (lowercase hex, 4+ chars); at most `max`. */
  async startingWith(prefix: string, max = 2): Promise<string[]> {
    const found = new Set<string>();
    for (const dir of this.objectDirs) {
      try {
        for await (const e of Deno.readDir(`${dir}/${prefix.slice(0, 2)}`)) {
          const oid = prefix.slice(0, 2) + e.name;
          if (e.isFile && /^[0-9a-f]{40}$/.test(oid) && oid.startsWith(prefix)) found.add(oid);
          if (found.size >= max) break;
        }
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    for (const pack of await this.#packList(true)) {
      if (found.size >= max) break;
      for (const oid of await pack.startingWith(prefix, max)) found.add(oid);
    }
    return [...found].slice(0, max);
  }

  async #locate(oid: string): Promise<Location> {
    let head: Uint8Array | null = null;
    let path = "";
    for (const dir of this.objectDirs) {
      path = `${dir}/${oid.slice(0, 2)}/${oid.slice(2)}`;
      try {
        head = await readAt(path, 0, 512);
        break;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    if (head) {
      const text = await inflatePrefix(head, 40);
      const nul = text.indexOf(0);
      const m = nul < 0 ? null : LOOSE_HEADER.exec(new TextDecoder().decode(text.subarray(0, nul)));
      if (!m) throw new GitCorrupt(`loose object ${oid} has no valid header`);
      return {
        kind: "loose",
        path,
        header: { type: m[1] as GitObjectType, size: Number(m[2]) },
        headerLength: nul + 1,
      };
    }
    for (const refresh of [false, true]) {
      for (const pack of await this.#packList(refresh)) {
        const offset = await pack.find(oid);
        if (offset !== null) return { kind: "packed", pack, offset };
      }
    }
    throw new GitMissing(oid);
  }

  async #header(at: Location, depth: number): Promise<ObjectHeader> {
    if (at.kind === "loose") return at.header;
    if (depth > MAX_CHAIN) throw new GitCorrupt(`a delta chain is longer than ${MAX_CHAIN}`);
    const entry = await at.pack.entry(at.offset);
    if (entry.kind <= 4) return { type: TYPES[entry.kind], size: entry.size };
    const start = await inflatePrefix(await at.pack.read(entry.dataAt, 512), 20);
    let i = 0;
    const varint = () => {
      let v = 0, scale = 1, b;
      do {
        if (i >= start.length) throw new GitCorrupt("a delta header is truncated");
        b = start[i++];
        v += (b & 0x7f) * scale;
        scale *= 128;
      } while (b & 0x80);
      return v;
    };
    varint();
    const size = varint();
    const base: Location = entry.baseAt !== undefined
      ? { kind: "packed", pack: at.pack, offset: entry.baseAt }
      : await this.#locate(entry.baseId!);
    return { type: (await this.#header(base, depth + 1)).type, size };
  }

  async #read(at: Location, depth: number): Promise<{ type: GitObjectType; data: Uint8Array }> {
    const cap = LIMITS["git.object.bytes"];
    if (at.kind === "loose") {
      const total = at.headerLength + at.header.size;
      if (at.header.size > cap) throw objectTooLarge(at.header.size, cap);
      const data = await inflateExactly(await readAt(at.path, 0, deflateBound(total)), total);
      if (!data) throw new GitCorrupt(`loose object ${at.path} does not inflate to its size`);
      return { type: at.header.type, data: data.subarray(at.headerLength) };
    }
    if (depth > MAX_CHAIN) throw new GitCorrupt(`a delta chain is longer than ${MAX_CHAIN}`);
    const entry = await at.pack.entry(at.offset);
    if (entry.size > (entry.kind <= 4 ? cap : 2 * cap + 64)) throw objectTooLarge(entry.size, cap);
    const data = await inflateExactly(
      await at.pack.read(entry.dataAt, deflateBound(entry.size)),
      entry.size,
    );
    if (!data) throw new GitCorrupt(`${at.pack.packPath} entry ${at.offset} does not inflate`);
    if (entry.kind <= 4) return { type: TYPES[entry.kind], data };
    const base = await this.#read(
      entry.baseAt !== undefined
        ? { kind: "packed", pack: at.pack, offset: entry.baseAt }
        : await this.#locate(entry.baseId!),
      depth + 1,
    );
    return { type: base.type, data: applyDelta(data, base.data, cap) };
  }

  async #packList(refresh: boolean): Promise<Pack[]> {
    if (this.#listed && !refresh) return [...this.#packs.values()];
    const names = new Set<string>();
    for (const objects of this.objectDirs) {
      const dir = `${objects}/pack`;
      try {
        for await (const e of Deno.readDir(dir)) {
          if (e.isFile && /^pack-[0-9a-f]{40,64}\.idx$/.test(e.name)) {
            names.add(`${dir}/${e.name.slice(0, -4)}`);
          }
        }
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    for (const name of this.#packs.keys()) if (!names.has(name)) this.#packs.delete(name);
    for (const name of names) {
      if (!this.#packs.has(name)) this.#packs.set(name, new Pack(`${name}.idx`, `${name}.pack`));
    }
    this.#listed = true;
    return [...this.#packs.values()];
  }
}

/**
 * Applies a Git delta to `base` into a buffer of the announced size, which must not pass `cap`;
 * every copy and insert is checked against both buffers, so a malformed delta fails, never
 * over-allocates.
 */
export function applyDelta(delta: Uint8Array, base: Uint8Array, cap: number): Uint8Array {
  let i = 0;
  const bad = (why: string) => new GitCorrupt(`malformed delta: ${why}`);
  const varint = () => {
    let v = 0, scale = 1, b;
    do {
      if (i >= delta.length) throw bad("truncated header");
      b = delta[i++];
      v += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    return v;
  };
  if (varint() !== base.length) throw bad("its base has another size");
  const size = varint();
  if (size > cap) throw objectTooLarge(size, cap);
  const out = new Uint8Array(size);
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++];
    if (op & 0x80) {
      let offset = 0, length = 0;
      for (let bit = 0; bit < 4; bit++) {
        if (op & (1 << bit)) offset += delta[i++] * 2 ** (8 * bit);
      }
      for (let bit = 0; bit < 3; bit++) {
        if (op & (16 << bit)) length += delta[i++] * 2 ** (8 * bit);
      }
      if (length === 0) length = 0x10000;
      if (i > delta.length || offset + length > base.length || o + length > size) {
        throw bad("a copy runs past a buffer");
      }
      out.set(base.subarray(offset, offset + length), o);
      o += length;
    } else if (op > 0) {
      if (i + op > delta.length || o + op > size) throw bad("an insert runs past a buffer");
      out.set(delta.subarray(i, i + op), o);
      i += op;
      o += op;
    } else {
      throw bad("reserved instruction 0");
    }
  }
  if (o !== size) throw bad("it produced another size than announced");
  return out;
}

function objectTooLarge(size: number, cap: number): KilnError {
  return limitExceeded(
    "git.object.bytes",
    `a Git object of ${size} bytes is larger than Kiln reads (${cap} bytes)`,
    { size, max: cap },
  );
}
