import type { GitObject } from "./object_store.ts";

const DECODER = new TextDecoder();
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * The objects one object names: a commit its tree and parents, a tree its entries (gitlinks
 * name commits of other repositories and are skipped), a tag its target.
 */
export function linksOf(o: GitObject): string[] {
  if (o.type === "blob") return [];
  if (o.type === "tree") return treeLinks(o.data);
  const text = DECODER.decode(o.data);
  const end = text.indexOf("\n\n");
  const out: string[] = [];
  for (const line of (end < 0 ? text : text.slice(0, end)).split("\n")) {
    const m = /^(tree|parent|object) ([0-9a-f]{40})$/.exec(line);
    if (m) out.push(m[2]);
  }
  return out;
}

function treeLinks(data: Uint8Array): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const nul = data.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > data.length) break;
    const mode = DECODER.decode(data.subarray(at, space));
    let oid = "";
    for (let i = nul + 1; i < nul + 21; i++) oid += HEX[data[i]];
    if (mode !== "160000") out.push(oid);
    at = nul + 21;
  }
  return out;
}
