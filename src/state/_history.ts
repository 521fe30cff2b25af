import { KilnError, LIMITS } from "../core/mod.ts";
import type { CommitInfo } from "./definitions.ts";
import type { CommitData, GitObjects, Repo } from "./_git_objects.ts";
import { stateTreeOf } from "./_git_tree.ts";

/** How many commits one history call may visit while looking for matches. */
const MAX_VISITS = 100_000;

/**
 * Commits reachable from `start`, newest first (by author time, like `git log`). With `path`,
 * only commits where what the path names changed against every parent — the commits that
 * `git log -- <path>` shows.
 */
export async function walkHistory(
  objs: GitObjects,
  repo: Repo,
  start: string,
  opts: { path?: string; limit: number },
): Promise<CommitInfo[]> {
  const out: CommitInfo[] = [];
  const seen = new Set([start]);
  const queue: CommitData[] = [await objs.commit(repo, start)];
  let visits = 0;
  while (queue.length > 0 && out.length < opts.limit && visits++ < MAX_VISITS) {
    const commit = queue.shift()!;
    const parents = await Promise.all(commit.parents.map((p) => objs.commit(repo, p)));
    if (opts.path === undefined || await changes(objs, repo, commit, parents, opts.path)) {
      out.push(info(commit));
    }
    for (const p of parents) {
      if (seen.has(p.oid)) continue;
      seen.add(p.oid);
      queue.splice(insertionPoint(queue, p.author.timestamp), 0, p);
    }
  }
  return out;
}

async function changes(
  objs: GitObjects,
  repo: Repo,
  commit: CommitData,
  parents: CommitData[],
  path: string,
): Promise<boolean> {
  const mine = await idAt(objs, repo, commit, path);
  if (parents.length === 0) return mine !== null;
  for (const p of parents) if ((await idAt(objs, repo, p, path)) === mine) return false;
  return true;
}

async function idAt(
  objs: GitObjects,
  repo: Repo,
  c: CommitData,
  path: string,
): Promise<string | null> {
  let tree: string | null;
  try {
    tree = await stateTreeOf(objs, repo, c.tree);
  } catch (err) {
    if (err instanceof KilnError && err.code === "PATH_NOT_ALLOWED") return null;
    throw err;
  }
  const segments = path.split("/");
  for (let i = 0; tree !== null && i < segments.length; i++) {
    const entry = (await objs.tree(repo, tree)).find((e) => e.path === segments[i]);
    if (!entry) return null;
    if (i === segments.length - 1) return `${entry.mode}:${entry.oid}`;
    tree = entry.type === "tree" ? entry.oid : null;
  }
  return null;
}

/** The first index whose commit is older than `timestamp` (the queue is newest first). */
function insertionPoint(queue: CommitData[], timestamp: number): number {
  let lo = 0, hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (queue[mid].author.timestamp < timestamp) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/** A commit message for an answer: at most `history.message.bytes`, a marker where cut. */
export function messageForHistory(c: CommitData): string {
  const max = LIMITS["history.message.bytes"];
  const message = c.message.replace(/\n$/, "");
  if (!c.cut && message.length * 3 <= max) return message;
  const bytes = ENCODER.encode(message);
  if (!c.cut && bytes.length <= max) return message;
  const kept = DECODER.decode(bytes.subarray(0, max)).replace(/\uFFFD$/, "");
  return `${kept}\n[… message cut: the commit is ${c.size} bytes; history shows ${max} bytes]`;
}

function info(c: CommitData): CommitInfo {
  return {
    revision: c.oid,
    message: messageForHistory(c),
    author: { name: c.author.name, email: c.author.email },
    timestamp: new Date(c.author.timestamp * 1000).toISOString(),
    parents: [...c.parents],
  };
}
