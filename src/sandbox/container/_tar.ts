/** A minimal ustar writer for Docker build contexts (regular files and directories only). */
export interface TarFile {
  path: string;
  /** Absent for a directory. */
  content?: Uint8Array;
  mode?: number;
  /** Modification time in seconds (0 when absent). */
  mtime?: number;
}

const encoder = new TextEncoder();

function field(buf: Uint8Array, offset: number, length: number, text: string): void {
  buf.set(encoder.encode(text).subarray(0, length), offset);
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

function splitName(path: string): [string, string] {
  if (encoder.encode(path).length <= 100) return ["", path];
  const cut = path.lastIndexOf("/", 155);
  if (cut <= 0 || path.length - cut - 1 > 100) throw new Error(`tar path too long: ${path}`);
  return [path.slice(0, cut), path.slice(cut + 1)];
}

function header(file: TarFile): Uint8Array {
  const h = new Uint8Array(512);
  const dir = file.content === undefined;
  const [prefix, name] = splitName(dir ? `${file.path.replace(/\/$/, "")}/` : file.path);
  field(h, 0, 100, name);
  field(h, 100, 8, octal(file.mode ?? (dir ? 0o755 : 0o644), 8));
  field(h, 108, 8, octal(0, 8));
  field(h, 116, 8, octal(0, 8));
  field(h, 124, 12, octal(dir ? 0 : file.content!.length, 12));
  field(h, 136, 12, octal(Math.max(0, Math.floor(file.mtime ?? 0)), 12));
  field(h, 148, 8, "        ");
  field(h, 156, 1, dir ? "5" : "0");
  field(h, 257, 6, "ustar\0");
  field(h, 263, 2, "00");
  field(h, 345, 155, prefix);
  const sum = h.reduce((a, b) => a + b, 0);
  field(h, 148, 8, octal(sum, 7) + " ");
  return h;
}

/** Packs the files into one tar archive in memory. */
export function packTar(files: TarFile[]): Uint8Array {
  const size = files.reduce(
    (n, f) => n + 512 + (f.content ? Math.ceil(f.content.length / 512) * 512 : 0),
    1024,
  );
  const out = new Uint8Array(size);
  let at = 0;
  for (const file of files) {
    out.set(header(file), at);
    at += 512;
    if (file.content) {
      out.set(file.content, at);
      at += Math.ceil(file.content.length / 512) * 512;
    }
  }
  return out;
}
