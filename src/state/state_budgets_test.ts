/**
 * The state budgets on what arrives by `git push`: trees, blobs and commits are sized from
 * their headers, a state tree is held to its file, depth and byte budgets, and answers about
 * such revisions (history, diff) stay bounded. Revisions are built with stock Git plumbing,
 * written straight into the repo as a push would leave them.
 */
import assert from "node:assert/strict";
import { LIMITS } from "../core/mod.ts";
import type { GitDefinitionStore } from "./git_definition_store.ts";
import {
  APP,
  assertFsckClean,
  kilnError,
  withShop,
} from "../../tests/_support/definition_store.ts";

async function plumb(gitdir: string, args: string[], stdin = ""): Promise<string> {
  const child = new Deno.Command("git", {
    args: ["--git-dir", gitdir, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: {
      GIT_AUTHOR_NAME: "T",
      GIT_AUTHOR_EMAIL: "t@example.com",
      GIT_COMMITTER_NAME: "T",
      GIT_COMMITTER_EMAIL: "t@example.com",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
    },
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin));
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/** Commits `state` (a tree oid) on top of the head, as a push would, and answers the commit. */
async function commitState(
  store: GitDefinitionStore,
  head: string,
  state: string,
  message = "pushed",
): Promise<string> {
  const gitdir = store.repoPath(APP);
  const root = await plumb(gitdir, ["mktree"], `040000 tree ${state}\tstate\n`);
  const commit = await plumb(gitdir, ["commit-tree", root, "-p", head, "-F", "-"], message);
  await plumb(gitdir, ["update-ref", "refs/heads/main", commit]);
  await store.refreshHead(APP);
  return commit;
}

async function headState(store: GitDefinitionStore, head: string): Promise<string> {
  return await plumb(store.repoPath(APP), ["rev-parse", `${head}:state`]);
}

async function blob(store: GitDefinitionStore, content: string): Promise<string> {
  return await plumb(store.repoPath(APP), ["hash-object", "-w", "--stdin"], content);
}

/** The state tree of `head` plus `name` → `entry` ("mode type oid"). */
async function withEntry(
  store: GitDefinitionStore,
  head: string,
  name: string,
  entry: string,
): Promise<string> {
  const gitdir = store.repoPath(APP);
  const current = await plumb(gitdir, ["ls-tree", await headState(store, head)]);
  return await plumb(gitdir, ["mktree"], `${current}\n${entry}\t${name}\n`);
}

Deno.test("validateRevision() names the budget a pushed state tree crosses", async () => {
  await withShop(async ({ store, head }) => {
    const gitdir = store.repoPath(APP);
    const empty = await blob(store, "");

    // Folders nested past git.state.depth.
    let deep = await plumb(gitdir, ["mktree"], `100644 blob ${empty}\tleaf.txt\n`);
    for (let i = 0; i < LIMITS["git.state.depth"] + 2; i++) {
      deep = await plumb(gitdir, ["mktree"], `040000 tree ${deep}\td\n`);
    }
    let rev = await commitState(
      store,
      head,
      await withEntry(store, head, "deep", `040000 tree ${deep}`),
    );
    assert.deepEqual((await store.validateRevision(APP, rev)).map((i) => i.limit), [
      "git.state.depth",
    ]);

    // Trees whose entries point at the same tree: 60 × 60 files from a few small objects.
    const leaf = await plumb(gitdir, ["mktree"], `100644 blob ${empty}\tleaf.txt\n`);
    const fan = (to: string) => Array.from({ length: 60 }, (_, i) => `040000 tree ${to}\tf${i}`);
    const level = await plumb(gitdir, ["mktree"], fan(leaf).join("\n") + "\n");
    const wide = await plumb(gitdir, ["mktree"], fan(level).join("\n") + "\n");
    rev = await commitState(
      store,
      head,
      await withEntry(store, head, "wide", `040000 tree ${wide}`),
    );
    assert.deepEqual((await store.validateRevision(APP, rev)).map((i) => i.limit), [
      "git.state.files",
    ]);

    // A tree of 3,000 entries is refused from its size, before it is read.
    const listing = Array.from({ length: 3_000 }, (_, i) => `100644 blob ${empty}\tf${i}`);
    const many = await plumb(gitdir, ["mktree"], listing.join("\n") + "\n");
    rev = await commitState(
      store,
      head,
      await withEntry(store, head, "many", `040000 tree ${many}`),
    );
    assert.deepEqual((await store.validateRevision(APP, rev)).map((i) => i.limit), [
      "git.tree.entries",
    ]);

    // A blob over definition.bytes, binary or not, is refused from its header.
    const big = await blob(store, "x".repeat(LIMITS["definition.bytes"] + 1));
    rev = await commitState(
      store,
      head,
      await withEntry(store, head, "big.bin", `100644 blob ${big}`),
    );
    assert.deepEqual((await store.validateRevision(APP, rev)).map((i) => i.limit), [
      "definition.bytes",
    ]);
    const read = await kilnError(store.getDefinitionFileContent(APP, "big.bin"));
    assert.equal((read.details as { limit?: string }).limit, "definition.bytes");

    // Paths Kiln refuses from the API are refused in a pushed tree too.
    const odd = await withEntry(store, head, "\uff0e\uff0e", `040000 tree ${leaf}`);
    rev = await commitState(store, head, odd);
    assert.match((await store.validateRevision(APP, rev))[0].message, /NFKC/);
  });
});

Deno.test("a commit over git.commit.bytes is an invalid head and shows cut in history", async () => {
  await withShop(async ({ store, head }) => {
    const message = "subject\n\n" + "m".repeat(LIMITS["git.commit.bytes"] * 4);
    const rev = await commitState(store, head, await headState(store, head), message);
    assert.deepEqual((await store.validateRevision(APP, rev)).map((i) => i.limit), [
      "git.commit.bytes",
    ]);
    const [top, below] = await store.history(APP, { limit: 2 });
    assert.equal(top.revision, rev);
    assert.ok(top.message.startsWith("subject\n\nmmm"));
    assert.match(
      top.message,
      /\[… message cut: the commit is \d+ bytes; history shows 16384 bytes\]$/,
    );
    assert.ok(top.message.length < LIMITS["history.message.bytes"] + 200);
    assert.equal(below.revision, head, "the walk goes on past the cut commit");
  });
});

Deno.test("a diff past diff.bytes is refused, and a narrower path gets it", async () => {
  await withShop(async ({ store, head }) => {
    const lines = (seed: string) =>
      Array.from({ length: 15_000 }, (_, i) => `${seed} line ${i} ${"x".repeat(30)}`).join("\n");
    const files = new Map<string, string>();
    for (let i = 0; i < 6; i++) files.set(`notes/n${i}.txt`, lines(`a${i}`));
    const a = (await store.setDefinitionFiles(APP, files, head, { commitMessage: "a" }))
      .resultingRevision;
    for (const k of files.keys()) files.set(k, lines(`b${k}`));
    const b = (await store.setDefinitionFiles(APP, files, a, { commitMessage: "b" }))
      .resultingRevision;
    const started = performance.now();
    const refused = await kilnError(store.diff(APP, a, b));
    assert.equal((refused.details as { limit?: string }).limit, "diff.bytes");
    const one = await store.diff(APP, a, b, "notes/n0.txt");
    assert.ok(one.length < LIMITS["diff.bytes"]);
    assert.match(one, /^diff --git a\/notes\/n0\.txt/);
    assert.ok(performance.now() - started < 10_000);
    await assertFsckClean(store.repoPath(APP));
  });
});
