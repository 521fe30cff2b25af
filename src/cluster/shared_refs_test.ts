import assert from "node:assert/strict";
import { silentLogger } from "../core/mod.ts";
import { GitDefinitionStore } from "../state/mod.ts";
import { connectCluster } from "./connection.ts";
import { clusterKeys } from "./keys.ts";
import { SharedRefs } from "./shared_refs.ts";
import {
  APP,
  assertFsckClean,
  git,
  kilnError,
  shopFiles,
} from "../../tests/_support/definition_store.ts";
import { requireService } from "../../tests/_support/services.ts";

const URL = Deno.env.get("KILN_TEST_REDIS_URL") ?? "redis://127.0.0.1:6379";
const { ignore } = await requireService("redis", async () => {
  await (await connectCluster(URL)).close();
  return true;
}, URL);
const MSG = { commitMessage: "test" };

/** Two nodes' definition stores (own data dirs) sharing one cluster prefix on the test Redis. */
async function withTwoNodes(
  fn: (a: GitDefinitionStore, b: GitDefinitionStore, dirs: string[]) => Promise<void>,
) {
  const prefix = `kiln-test-${crypto.randomUUID()}`;
  const conns = [await connectCluster(URL, { prefix }), await connectCluster(URL, { prefix })];
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const stores = conns.map((conn, i) =>
    new GitDefinitionStore({
      dataDir: dirs[i],
      publisher: new SharedRefs(conn, clusterKeys(prefix), `node${i}`, silentLogger),
    })
  );
  try {
    await fn(stores[0], stores[1], dirs);
  } finally {
    const keys = await conns[0].client.keys(`${prefix}:*`);
    if (keys.length > 0) await conns[0].client.del(keys);
    for (const conn of conns) await conn.close();
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a write on one node is pulled whole by another, and a write on a stale base is a CONFLICT",
  ignore,
  async fn() {
    await withTwoNodes(async (a, b) => {
      await a.ensureRepo(APP);
      const first = (await a.replaceTree(APP, shopFiles(), null, MSG)).resultingRevision;
      assert.equal(await b.pull(APP), first);
      assert.deepEqual(await b.readTree(APP, first), await a.readTree(APP, first));
      await assertFsckClean(b.repoPath(APP));

      const put = (store: GitDefinitionStore, v: number) =>
        store.setDefinitionFileContent(APP, "notes.yaml", `v: ${v}\n`, first, MSG);
      const results = await Promise.allSettled([put(a, 1), put(b, 2)]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r) => r.status === "rejected");
      assert.equal(won.length, 1, JSON.stringify(results));
      const err = (lost[0] as PromiseRejectedResult).reason;
      assert.equal(err.code, "CONFLICT");
      const winner = (won[0] as PromiseFulfilledResult<{ resultingRevision: string }>).value;
      assert.equal(err.details.currentRevision, winner.resultingRevision);
      // Both repos end on the winner, and the loser's next write builds on it.
      assert.equal(await a.pull(APP), winner.resultingRevision);
      assert.equal(await b.pull(APP), winner.resultingRevision);
      const next = await b.setDefinitionFileContent(
        APP,
        "notes.yaml",
        "v: 3\n",
        winner.resultingRevision,
        MSG,
      );
      assert.equal(await a.pull(APP), next.resultingRevision);
      await assertFsckClean(a.repoPath(APP));
    });
  },
});

Deno.test({
  name: "a push to one node's repo is published; a push that lost to another node is undone",
  ignore,
  async fn() {
    await withTwoNodes(async (a, b, dirs) => {
      await a.ensureRepo(APP);
      const first = (await a.replaceTree(APP, shopFiles(), null, MSG)).resultingRevision;
      await b.pull(APP);
      const push = async (store: GitDefinitionStore, dir: string, text: string) => {
        const work = `${dir}/work-${crypto.randomUUID()}`;
        await git(["clone", "-q", store.repoPath(APP), work]);
        await Deno.writeTextFile(`${work}/state/notes.yaml`, text);
        await git(["add", "-A"], work);
        await git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", text], work);
        await git(["push", "-q", "origin", "HEAD:main"], work);
        return (await git(["rev-parse", "HEAD"], work)).trim();
      };
      const pushed = await push(b, dirs[1], "v: 1\n");
      assert.equal(await b.adopt(APP), "published");
      assert.equal(await a.pull(APP), pushed);

      // A writes first; B's later push on the old head loses and B goes back to A's head.
      const written = await a.setDefinitionFileContent(APP, "notes.yaml", "v: 2\n", pushed, MSG);
      const late = await push(b, dirs[1], "v: 3\n");
      assert.notEqual(late, written.resultingRevision);
      assert.equal(await b.adopt(APP), "shared");
      assert.equal(await b.head(APP), written.resultingRevision);
      assert.notEqual(first, written.resultingRevision);
    });
  },
});

Deno.test({
  name: "a node whose repo predates the cluster seeds the shared head; drop() forgets it",
  ignore,
  async fn() {
    await withTwoNodes(async (a, b) => {
      await a.ensureRepo(APP);
      const rev = (await a.replaceTree(APP, shopFiles(), null, MSG)).resultingRevision;
      await a.dropShared(APP);
      assert.equal((await kilnError(b.head(APP))).code, "APP_NOT_FOUND");
      assert.equal(await b.pull(APP), null);
      // A's next pull finds no shared head and publishes its own.
      assert.equal(await a.pull(APP), rev);
      assert.equal(await b.pull(APP), rev);
    });
  },
});
