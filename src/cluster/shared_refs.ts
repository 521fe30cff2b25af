import { KilnError, type Logger } from "../core/mod.ts";
import type { Adopted, LocalRepo, RefPublisher } from "../state/mod.ts";
import { command } from "./_redis.ts";
import type { ClusterConnection } from "./connection.ts";
import type { ClusterKeys } from "./keys.ts";
import { type GitObject, SharedObjects } from "./object_store.ts";
import { linksOf } from "./_git_links.ts";

/**
 * KEYS: head, events. ARGV: expected ("" = none), next, appId, nodeId. Moves the head only
 * from `expected`, and in the same atomic step appends the change to the feed.
 * Returns {1, eventId} or {0, currentHead}.
 */
const CAS_HEAD = `
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return {0, current} end
redis.call('SET', KEYS[1], ARGV[2])
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '10000', '*',
  'appId', ARGV[3], 'kind', 'head', 'revision', ARGV[2], 'node', ARGV[4])
return {1, id}
`;

/**
 * The shared definitions log (ADR: the source of truth is Redis): each app's head in Redis,
 * moved only by `CAS_HEAD`, and its objects content-addressed beside it. A node's bare repo is
 * a cache: `pull` fetches what a newer head needs (walking from it, stopping at objects the
 * repo holds) and moves the local ref; `publish` uploads a new commit's objects, then swaps the
 * head, so a head never names an object Redis lacks.
 */
export class SharedRefs implements RefPublisher {
  readonly objects: SharedObjects;
  /** The shared head this node last pulled or published, per app: what a push was based on. */
  readonly #known = new Map<string, string | null>();

  constructor(
    readonly conn: ClusterConnection,
    readonly keys: ClusterKeys,
    readonly nodeId: string,
    readonly log: Logger,
  ) {
    this.objects = new SharedObjects(conn, keys);
  }

  /** The app's shared head, or null when it has none. */
  async head(appId: string): Promise<string | null> {
    const head = await command(() => this.conn.client.get(this.keys.head(appId)));
    return head || null;
  }

  async pull(repo: LocalRepo): Promise<void> {
    const shared = await this.head(repo.appId);
    const local = await repo.head();
    if (shared === null) {
      // A repo from before the cluster (or the first node's): it seeds the shared head.
      if (local !== null) await this.publish(repo, null, local);
      else this.#known.set(repo.appId, null);
      return;
    }
    if (local !== shared) {
      await this.#fetch(repo, shared);
      await repo.moveHead(local, shared);
    }
    this.#known.set(repo.appId, shared);
  }

  async publish(repo: LocalRepo, expected: string | null, next: string): Promise<void> {
    await this.#upload(repo, next, expected);
    const [won, detail] = await command(() =>
      this.conn.client.eval(CAS_HEAD, {
        keys: [this.keys.head(repo.appId), this.keys.events],
        arguments: [expected ?? "", next, repo.appId, this.nodeId],
      })
    ) as [number, string];
    if (!won) {
      const current = detail || null;
      throw new KilnError(
        "CONFLICT",
        `expectedBaseRevision ${expected ?? "(empty)"} is not the current head ${
          current ?? "(empty)"
        } (another node wrote first)`,
        { expectedBaseRevision: expected, currentRevision: current },
      );
    }
    this.#known.set(repo.appId, next);
  }

  async adopt(repo: LocalRepo): Promise<Adopted> {
    const local = await repo.head();
    const known = this.#known.get(repo.appId);
    if (local === null || local === known) {
      await this.pull(repo);
      return "shared";
    }
    const shared = await this.head(repo.appId);
    if (local === shared) {
      this.#known.set(repo.appId, shared);
      return "shared";
    }
    try {
      await this.publish(repo, known === undefined ? shared : known, local);
      return "published";
    } catch (err) {
      if (!(err instanceof KilnError && err.code === "CONFLICT")) throw err;
      this.log.error("a push lost to a write on another node; the cluster's head stays", {
        appId: repo.appId,
        pushed: local,
        head: (err.details as { currentRevision?: string } | undefined)?.currentRevision,
      });
      await this.pull(repo);
      return "shared";
    }
  }

  async drop(appId: string): Promise<void> {
    await command(() => this.conn.client.del(this.keys.head(appId)));
    await this.objects.drop(appId);
    this.#known.delete(appId);
  }

  /** Fetches every object `head` needs that the repo lacks; writes them referenced-first. */
  async #fetch(repo: LocalRepo, head: string): Promise<void> {
    const seen = new Set<string>();
    const order: GitObject[] = [];
    let frontier = [head];
    while (frontier.length > 0) {
      const wanted: string[] = [];
      for (const oid of frontier) {
        if (seen.has(oid)) continue;
        seen.add(oid);
        if (!(await repo.has(oid))) wanted.push(oid);
      }
      const got = await this.objects.get(repo.appId, wanted);
      order.push(...got);
      frontier = got.flatMap(linksOf);
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const o = order[i];
      if (!(await repo.has(o.oid))) await repo.write(o.oid, o.type, o.data);
    }
  }

  /** Uploads what `next` needs that Redis lacks (stopping at `expected` and at objects it has). */
  async #upload(repo: LocalRepo, next: string, expected: string | null): Promise<void> {
    const seen = new Set<string>(expected ? [expected] : []);
    const out: GitObject[] = [];
    let frontier = [next];
    while (frontier.length > 0) {
      const fresh = frontier.filter((oid) => !seen.has(oid) && seen.add(oid));
      const missing = await this.objects.missing(repo.appId, fresh);
      const level: GitObject[] = [];
      for (const oid of missing) {
        const o = await repo.read(oid);
        if (o === null) {
          throw new KilnError("INTERNAL", `the repository of ${repo.appId} lacks object ${oid}`);
        }
        level.push({ oid, ...o });
      }
      out.push(...level);
      frontier = level.flatMap(linksOf);
    }
    await this.objects.put(repo.appId, out.reverse());
  }
}
