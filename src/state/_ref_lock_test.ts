import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { compareAndSwapRef } from "./_ref_lock.ts";

const A = "a".repeat(40);
const B = "b".repeat(40);

async function withGitdir(fn: (gitdir: string) => Promise<void>): Promise<void> {
  const gitdir = await Deno.makeTempDir();
  try {
    await fn(gitdir);
  } finally {
    await Deno.remove(gitdir, { recursive: true });
  }
}

Deno.test("compareAndSwapRef() writes the new oid and leaves no lock", async () => {
  await withGitdir(async (gitdir) => {
    await compareAndSwapRef({
      gitdir,
      ref: "refs/heads/main",
      expected: null,
      next: A,
      readCurrent: () => Promise.resolve(null),
    });
    assert.equal(await Deno.readTextFile(`${gitdir}/refs/heads/main`), `${A}\n`);
    await assert.rejects(Deno.stat(`${gitdir}/refs/heads/main.lock`), Deno.errors.NotFound);
  });
});

Deno.test("compareAndSwapRef() is a CONFLICT when the ref moved, and removes its lock", async () => {
  await withGitdir(async (gitdir) => {
    const err = await compareAndSwapRef({
      gitdir,
      ref: "refs/heads/main",
      expected: A,
      next: B,
      readCurrent: () => Promise.resolve(B),
    }).catch((e) => e);
    assert.ok(err instanceof KilnError);
    assert.equal(err.code, "CONFLICT");
    assert.deepEqual(err.details, { expectedBaseRevision: A, currentRevision: B });
    await assert.rejects(Deno.stat(`${gitdir}/refs/heads/main.lock`), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(`${gitdir}/refs/heads/main`), Deno.errors.NotFound);
  });
});

Deno.test("compareAndSwapRef() respects a lock held by another process", async () => {
  await withGitdir(async (gitdir) => {
    await Deno.mkdir(`${gitdir}/refs/heads`, { recursive: true });
    await Deno.writeTextFile(`${gitdir}/refs/heads/main.lock`, "");
    const err = await compareAndSwapRef({
      gitdir,
      ref: "refs/heads/main",
      expected: null,
      next: A,
      readCurrent: () => Promise.resolve(null),
    })
      .catch((e) => e);
    assert.equal(err.code, "CONFLICT");
    assert.ok(
      (await Deno.stat(`${gitdir}/refs/heads/main.lock`)).isFile,
      "the other lock is untouched",
    );
  });
});
