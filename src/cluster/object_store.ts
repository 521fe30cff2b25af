import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import { KilnError, LIMITS } from "../core/mod.ts";
import type { GitObjectType } from "../state/mod.ts";
import { command } from "./_redis.ts";
import type { ClusterConnection } from "./connection.ts";
import type { ClusterKeys } from "./keys.ts";
import { deflateSync } from "node:zlib";

/** One Git object: its id, type and content. */
export interface GitObject {
  oid: string;
  type: GitObjectType;
  data: Uint8Array;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const HEADER = /^(commit|tree|blob|tag) (\d+)$/;
/** Objects per round trip, so one huge tree does not become one huge command. */
const BATCH = 500;

/**
 * Git objects in Redis, content-addressed per app (a hash: oid → loose object bytes). Objects
 * never change, so they are written with HSETNX and never invalidated.
 */
export class SharedObjects {
  constructor(readonly conn: ClusterConnection, readonly keys: ClusterKeys) {}

  /** The ids of `oids` Redis does not hold. */
  async missing(appId: string, oids: string[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < oids.length; i += BATCH) {
      const part = oids.slice(i, i + BATCH);
      const key = this.keys.objects(appId);
      const found = await command(() => {
        const multi = this.conn.client.multi();
        for (const oid of part) multi.hExists(key, oid);
        return multi.exec();
      });
      part.forEach((oid, j) => {
        if (!Number(found[j])) out.push(oid);
      });
    }
    return out;
  }

  async put(appId: string, objects: GitObject[]): Promise<void> {
    const key = this.keys.objects(appId);
    for (let i = 0; i < objects.length; i += BATCH) {
      const part = objects.slice(i, i + BATCH);
      await command(() => {
        const multi = this.conn.client.multi();
        for (const o of part) multi.hSetNX(key, o.oid, Buffer.from(deflateSync(wrap(o))));
        return multi.exec();
      });
    }
  }

  /** The objects; a missing one is an INTERNAL error (a head never names a missing object). */
  async get(appId: string, oids: string[]): Promise<GitObject[]> {
    const out: GitObject[] = [];
    for (let i = 0; i < oids.length; i += BATCH) {
      const part = oids.slice(i, i + BATCH);
      const raws = await command(() => this.conn.binary.hmGet(this.keys.objects(appId), part));
      part.forEach((oid, j) => {
        const raw = raws[j];
        if (raw === null) {
          throw new KilnError("INTERNAL", `the cluster has no object ${oid} of app ${appId}`);
        }
        out.push(unwrap(oid, raw));
      });
    }
    return out;
  }

  async drop(appId: string): Promise<void> {
    await command(() => this.conn.client.del(this.keys.objects(appId)));
  }
}

function wrap(o: GitObject): Uint8Array {
  const header = ENCODER.encode(`${o.type} ${o.data.length}\0`);
  const out = new Uint8Array(header.length + o.data.length);
  out.set(header);
  out.set(o.data, header.length);
  return out;
}

function unwrap(oid: string, raw: Uint8Array): GitObject {
  // No object Kiln stores is larger than git.object.bytes; nothing inflates past it.
  const bytes = inflateSync(raw, { maxOutputLength: LIMITS["git.object.bytes"] + 64 });
  const nul = bytes.indexOf(0);
  const m = nul < 0 ? null : HEADER.exec(DECODER.decode(bytes.subarray(0, nul)));
  if (!m || Number(m[2]) !== bytes.length - nul - 1) {
    throw new KilnError("INTERNAL", `the cluster's object ${oid} is malformed`);
  }
  return { oid, type: m[1] as GitObjectType, data: bytes.subarray(nul + 1) };
}
