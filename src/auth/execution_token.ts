import { type Clock, KilnError, quote, systemClock } from "../core/mod.ts";
import { nodeCrypto } from "../core/node/mod.ts";
import type { StoreDriver } from "../state/mod.ts";
import { randomToken, sameText } from "./_hash.ts";
import { MemoryRevocations, type TokenRevocations } from "./token_revocations.ts";

const SCOPE = "kiln:auth";
const SECRET_KEY = "executionTokenSecret";
const CLAIM_KEY = "executionTokenSecretClaim";
const SIGNING_CONTEXT = "kiln-exec-v1.";
const APP_ID = /^[a-z][a-z0-9-]{0,62}$/;
const COMPONENT_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const MAX_TOKEN_LENGTH = 32 * 1024;
const MAX_TOOLS = 256;

/** Every execution token starts with this, so the authenticator can tell it from other tokens. */
export const EXECUTION_TOKEN_PREFIX = "kiln_exec_";
/** Lifetime of a token when the minter names none: one execution, generously. */
export const DEFAULT_EXECUTION_TTL_SECONDS = 300;
/** Tokens are for one execution; anything longer-lived should be an app key. */
export const MAX_EXECUTION_TTL_SECONDS = 3600;

/** The signed claims: app, component, allowed tools, expiry (ms since epoch), nonce. */
export interface ExecutionTokenPayload {
  a: string;
  c: string;
  t: string[];
  e: number;
  n: string;
}

/** What to bind a token to. */
export interface ExecutionTokenRequest {
  appId: string;
  componentId: string;
  tools: readonly string[];
  ttlSeconds?: number;
  /**
   * A token only this process accepts, for an execution whose guest reaches Kiln through this
   * process alone (the in-process tiers): an unguessable handle on claims held here, so minting
   * and revoking cost no signature, and no other node would take it even if it leaked.
   */
  local?: boolean;
}

/** What `inspect` makes of a token; `payload` is null for a local token whose execution ended. */
export interface TokenInspection {
  payload: ExecutionTokenPayload | null;
  expired: boolean;
  revoked: boolean;
}

interface LocalToken {
  secret: string;
  payload: ExecutionTokenPayload;
}

const LOCAL_MARK = "l";
const LOCAL_PREFIX = `${EXECUTION_TOKEN_PREFIX}${LOCAL_MARK}.`;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOCAL_ID = /^[A-Za-z0-9_-]{16}$/;
const LOCAL_SECRET = /^[A-Za-z0-9_-]{24}$/;
/** Live local tokens past which expired ones (never revoked) are swept, at most once a second. */
const LOCAL_SWEEP_SIZE = 4096;
/**
 * Ended local tokens remembered as revoked (the most recent ones). Bounded by count rather than
 * kept to each expiry: at thousands of executions a second, ids kept for their lifetime (the
 * deadline plus 30 s) would be hundreds of thousands of old-generation entries for V8 to mark,
 * for nothing but a message — an ended local token verifies nothing either way.
 */
export const LOCAL_ENDED_KEEP = 1024;

/**
 * Short-lived bearer tokens for sandboxed executions calling back through MCP (ADR 0003). They
 * are HMAC-signed and self-contained, so verifying one needs no store lookup; the secret lives in
 * the store so tokens survive restarts and every node sharing a Redis store accepts them. A
 * token minted for an execution is revoked when the execution ends (`revoke`), so a token that
 * leaks out of a sandbox is worth nothing once its answer is out.
 */
export class ExecutionTokens {
  readonly #secret: Buffer;
  readonly #clock: Clock;
  readonly #revoked: TokenRevocations;
  /** Local tokens of running executions, by id. */
  readonly #local = new Map<string, LocalToken>();
  /**
   * The last `LOCAL_ENDED_KEEP` ended local tokens, so they read as revoked rather than forged (a
   * ring: `#endedRing[#endedAt]` is the next to go). Kept in this process only: no other process
   * can verify a local token, so sharing its end (with every node, in a cluster) would cost Redis
   * writes and a message to each node per execution for nothing.
   */
  readonly #localEnded = new Set<string>();
  readonly #endedRing: string[] = [];
  #endedAt = 0;
  #localSweptAt = 0;

  private constructor(secret: string, clock: Clock, revoked: TokenRevocations) {
    this.#secret = Buffer.from(secret, "base64url");
    this.#clock = clock;
    this.#revoked = revoked;
  }

  /** Loads the signing secret, creating it once (the first node to claim it writes it). */
  static async open(
    store: StoreDriver,
    clock: Clock = systemClock,
    revocations: TokenRevocations = new MemoryRevocations({ clock }),
  ): Promise<ExecutionTokens> {
    return new ExecutionTokens(await loadOrCreateSecret(store), clock, revocations);
  }

  /** Mints a token for one execution of `componentId`, allowing only `tools`. */
  mint(req: ExecutionTokenRequest): { token: string; expiresAt: number } {
    const ttl = req.ttlSeconds ?? DEFAULT_EXECUTION_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_EXECUTION_TTL_SECONDS) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `ttlSeconds must be a whole number from 1 to ${MAX_EXECUTION_TTL_SECONDS}, got ${
          quote(ttl)
        }`,
      );
    }
    if (!APP_ID.test(req.appId)) {
      throw new KilnError("VALIDATION_ERROR", `invalid app id ${quote(req.appId)}`);
    }
    if (!COMPONENT_ID.test(req.componentId)) {
      throw new KilnError("VALIDATION_ERROR", `invalid component id ${quote(req.componentId)}`);
    }
    if (req.tools.length > MAX_TOOLS || req.tools.some((t) => typeof t !== "string" || !t)) {
      throw new KilnError(
        "VALIDATION_ERROR",
        `tools must be at most ${MAX_TOOLS} non-empty names, got ${quote(req.tools)}`,
      );
    }
    const now = this.#clock.now();
    const expiresAt = now + ttl * 1000;
    if (req.local) return this.#mintLocal(req, expiresAt, now);
    const payload: ExecutionTokenPayload = {
      a: req.appId,
      c: req.componentId,
      t: [...req.tools],
      e: expiresAt,
      n: randomToken(12),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return { token: `${EXECUTION_TOKEN_PREFIX}${body}.${this.#sign(body)}`, expiresAt };
  }

  /**
   * Ends a token before its expiry: every later verification refuses it. For the end of the
   * execution it was minted for; a malformed token is ignored.
   */
  revoke(token: string): void {
    const local = this.#findLocal(token);
    if (local) {
      const id = local.payload.n;
      this.#local.delete(id);
      const gone = this.#endedRing[this.#endedAt];
      if (gone !== undefined) this.#localEnded.delete(gone);
      this.#endedRing[this.#endedAt] = id;
      this.#endedAt = (this.#endedAt + 1) % LOCAL_ENDED_KEEP;
      this.#localEnded.add(id);
      return;
    }
    const seen = this.inspect(token);
    if (seen?.payload && !seen.expired && !seen.revoked) {
      this.#revoked.revoke(seen.payload.n, seen.payload.e);
    }
  }

  /**
   * Checks the signature and shape of a token; `expired` and `revoked` tell a stale token from
   * a forged one, so callers can say which. Null for anything malformed or tampered with.
   */
  inspect(token: string): TokenInspection | null {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
    if (!token.startsWith(EXECUTION_TOKEN_PREFIX)) return null;
    const [body, signature, ...rest] = token.slice(EXECUTION_TOKEN_PREFIX.length).split(".");
    if (body === LOCAL_MARK) return this.#inspectLocal(token, signature);
    if (rest.length > 0 || !body || !signature) return null;
    const expected = Buffer.from(this.#sign(body));
    const actual = Buffer.from(signature);
    if (actual.length !== expected.length || !nodeCrypto().timingSafeEqual(actual, expected)) {
      return null;
    }
    const payload = parsePayload(body);
    if (!payload) return null;
    const expired = this.#clock.now() >= payload.e;
    return { payload, expired, revoked: !expired && this.#revoked.isRevoked(payload.n) };
  }

  /** The claims of a valid, unexpired, unrevoked token; null otherwise. */
  verify(token: string): ExecutionTokenPayload | null {
    const seen = this.inspect(token);
    return seen && !seen.expired && !seen.revoked ? seen.payload : null;
  }

  /** Local tokens of executions still running (for tests and the bench). */
  get liveLocalTokens(): number {
    return this.#local.size;
  }

  #mintLocal(
    req: ExecutionTokenRequest,
    expiresAt: number,
    now: number,
  ): { token: string; expiresAt: number } {
    if (this.#local.size >= LOCAL_SWEEP_SIZE && now - this.#localSweptAt >= 1000) {
      this.#localSweptAt = now;
      for (const [id, t] of this.#local) if (t.payload.e <= now) this.#local.delete(id);
    }
    let id: string;
    do id = encode(randomBytes(16)); while (this.#local.has(id));
    const secret = encode(randomBytes(24));
    const payload: ExecutionTokenPayload = Object.freeze({
      a: req.appId,
      c: req.componentId,
      t: Object.freeze([...req.tools]) as string[],
      e: expiresAt,
      n: id,
    });
    this.#local.set(id, { secret, payload });
    return { token: `${EXECUTION_TOKEN_PREFIX}${LOCAL_MARK}.${id}.${secret}`, expiresAt };
  }

  /** The live local token `token` is, if it is one (its secret compared in constant time). */
  #findLocal(token: string): LocalToken | undefined {
    if (typeof token !== "string" || !token.startsWith(LOCAL_PREFIX)) return undefined;
    const dot = token.indexOf(".", LOCAL_PREFIX.length);
    if (dot < 0) return undefined;
    const live = this.#local.get(token.slice(LOCAL_PREFIX.length, dot));
    // The live secret has no dot, so a token with more parts never matches it.
    return live && sameText(live.secret, token.slice(dot + 1)) ? live : undefined;
  }

  /**
   * A local token: live (expired once past its expiry), or revoked when its id names an ended
   * execution of this process. The secret of an ended one is gone, so a forged secret under such
   * an id also reads as revoked; either way it verifies nothing.
   */
  #inspectLocal(token: string, id: string | undefined): TokenInspection | null {
    const parts = token.slice(EXECUTION_TOKEN_PREFIX.length).split(".");
    if (parts.length !== 3 || !id || !LOCAL_ID.test(id) || !LOCAL_SECRET.test(parts[2])) {
      return null;
    }
    const live = this.#findLocal(token);
    if (live) {
      return {
        payload: live.payload,
        expired: this.#clock.now() >= live.payload.e,
        revoked: false,
      };
    }
    if (this.#local.has(id) || !this.#localEnded.has(id)) return null;
    return { payload: null, expired: false, revoked: true };
  }

  #sign(body: string): string {
    return nodeCrypto().createHmac("sha256", this.#secret).update(SIGNING_CONTEXT + body).digest(
      "base64url",
    );
  }
}

/** CSPRNG bytes drawn in blocks, each byte handed out once: one system call per 100 tokens. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function randomBytes(n: number): Uint8Array {
  if (poolAt + n > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  poolAt += n;
  return pool.subarray(poolAt - n, poolAt);
}

const ALPHABET_CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** Scratch for `encode`, one per length: no array per token. */
const CHAR_CODES = new Map([16, 24].map((n) => [n, new Array<number>(n).fill(0)]));

/**
 * 6 random bits per character: 16 bytes make a 96-bit id, 24 a 144-bit secret. One
 * `fromCharCode` call: a third cheaper than concatenating character by character.
 */
function encode(bytes: Uint8Array): string {
  const codes = CHAR_CODES.get(bytes.length) ?? new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) codes[i] = ALPHABET_CODES[bytes[i] & 63];
  return String.fromCharCode.apply(null, codes);
}

function parsePayload(body: string): ExecutionTokenPayload | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const p = value as Partial<ExecutionTokenPayload> | null;
  const ok = typeof p === "object" && p !== null &&
    typeof p.a === "string" && APP_ID.test(p.a) &&
    typeof p.c === "string" && COMPONENT_ID.test(p.c) &&
    Array.isArray(p.t) && p.t.every((t) => typeof t === "string") &&
    typeof p.e === "number" && Number.isFinite(p.e) && typeof p.n === "string";
  return ok ? { a: p.a!, c: p.c!, t: p.t!, e: p.e!, n: p.n! } : null;
}

/**
 * Reads the secret, or creates it. An atomic increment elects one creator when several nodes
 * start on an empty Redis store at once; the others wait briefly for its write.
 */
async function loadOrCreateSecret(store: StoreDriver): Promise<string> {
  const read = async () => {
    const stored = await store.get(SCOPE, SECRET_KEY);
    return stored.found && typeof stored.value === "string" ? stored.value : null;
  };
  const existing = await read();
  if (existing) return existing;
  if ((await store.increment(SCOPE, CLAIM_KEY, 1)) !== 1) {
    for (let attempt = 0; attempt < 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const written = await read();
      if (written) return written;
    }
  }
  const secret = randomToken(32);
  await store.set(SCOPE, SECRET_KEY, secret);
  return secret;
}
