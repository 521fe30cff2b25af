import { z } from "zod";
import { KilnError, type Logger, quote, toKilnError } from "../core/mod.ts";
import type { PushedObjects, PushGate } from "../state/mod.ts";

/** A hook's request is a few ref updates and paths; anything larger is not a hook's. */
const MAX_BODY_BYTES = 256 * 1024;
const OID = z.string().regex(/^[0-9a-f]{40}$/);

const HookRequest = z.object({
  appId: z.string().min(1).max(63),
  secret: z.string().min(1).max(256),
  updates: z.array(z.object({ ref: z.string().min(1).max(1024), old: OID, new: OID })).max(1000),
  objectDirs: z.array(z.string().min(1).max(4096)).min(1).max(16),
}).strict();

/** What the loopback hook endpoint needs from the rest of Kiln (wired in `kiln.ts`). */
export interface GitHookDeps {
  gate: PushGate;
  /** Whether `secret` is the app repo's hook secret. */
  verify(appId: string, secret: string): Promise<boolean>;
  /** The push's objects, read through Git's quarantine. */
  objects(appId: string, dirs: readonly string[]): Promise<PushedObjects>;
  logger: Logger;
}

/**
 * The endpoint `kiln git-hook pre-receive` posts to (`POST /pre-receive`), served only on a
 * loopback listener of its own: the hook proves it runs for the repo with the secret Kiln wrote
 * into that repo, and gets `{accepted, messages}`, or an error envelope.
 */
export function gitHookHandler(deps: GitHookDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    try {
      if (new URL(req.url).pathname !== "/pre-receive") {
        throw new KilnError("NOT_FOUND", "the hook endpoint serves POST /pre-receive only");
      }
      if (req.method !== "POST") {
        throw new KilnError("METHOD_NOT_ALLOWED", "the hook endpoint takes POST only");
      }
      const body = HookRequest.safeParse(await boundedJson(req));
      if (!body.success) {
        const first = body.error.issues[0];
        throw new KilnError(
          "VALIDATION_ERROR",
          `invalid hook request at ${first.path.join(".") || "(root)"}: ${first.message}`,
        );
      }
      const { appId, secret, updates, objectDirs } = body.data;
      if (!(await deps.verify(appId, secret))) {
        throw new KilnError("UNAUTHORIZED", `not the hook secret of app ${quote(appId)}`);
      }
      const objects = await deps.objects(appId, objectDirs);
      const decision = await deps.gate.check(appId, updates, objects);
      deps.logger.info("push checked", { appId, accepted: decision.accepted, updates });
      return Response.json(decision);
    } catch (err) {
      const kiln = toKilnError(err);
      if (kiln.status >= 500) deps.logger.error("push check failed", { error: String(err) });
      return Response.json(kiln.toJSON(), { status: kiln.status });
    }
  };
}

async function boundedJson(req: Request): Promise<unknown> {
  const reader = req.body?.getReader();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new KilnError("PAYLOAD_TOO_LARGE", `a hook request is at most ${MAX_BODY_BYTES} bytes`);
    }
    parts.push(value as Uint8Array<ArrayBuffer>);
  }
  try {
    return JSON.parse(new TextDecoder().decode(await new Blob(parts).arrayBuffer()));
  } catch {
    throw new KilnError("BAD_REQUEST", "the hook request is not JSON");
  }
}
