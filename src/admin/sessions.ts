import { createHash, timingSafeEqual } from "node:crypto";
import { randomBytes } from "node:crypto";
import { type Clock, KilnError, systemClock } from "../core/mod.ts";
import type { StoreDriver } from "../state/mod.ts";

const SCOPE = "kiln:admin:sessions";

/** How long a signed-in panel stays signed in; a new sign-in is needed after that. */
export const DEFAULT_SESSION_TTL_SECONDS = 8 * 60 * 60;

/** What a fresh sign-in hands back: the cookie value (never shown to JS) and the CSRF token. */
export interface NewSession {
  sessionId: string;
  csrfToken: string;
  expiresAt: number;
}

/** A live session as the panel sees it. */
export interface SessionInfo {
  csrfToken: string;
  expiresAt: number;
}

interface SessionRecord {
  createdAt: number;
  expiresAt: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");

/**
 * Server-side admin panel sessions (ADR 0012). The browser holds only a random 256-bit session
 * id in an HTTP-only cookie; the store holds its SHA-256, so a leaked store (or a Redis dump)
 * yields no usable session. A fast unsalted hash is enough for a 256-bit random secret and lets
 * a lookup be one keyed read. The CSRF token is derived from the session id rather than stored:
 * only someone who holds the cookie value can compute it, and the panel reads it from a
 * same-origin answer, which a cross-site page cannot.
 */
export class AdminSessions {
  readonly #store: StoreDriver;
  readonly #clock: Clock;
  readonly #ttlSeconds: number;

  constructor(store: StoreDriver, opts: { clock?: Clock; ttlSeconds?: number } = {}) {
    this.#store = store;
    this.#clock = opts.clock ?? systemClock;
    this.#ttlSeconds = opts.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  }

  /** Starts a session; call only once the admin token has been verified. */
  async create(): Promise<NewSession> {
    const sessionId = randomBytes(32).toString("base64url");
    const now = this.#clock.now();
    const expiresAt = now + this.#ttlSeconds * 1000;
    const record: SessionRecord = { createdAt: now, expiresAt };
    await this.#store.set(SCOPE, sha256(sessionId), { ...record }, this.#ttlSeconds);
    return { sessionId, csrfToken: csrfTokenFor(sessionId), expiresAt };
  }

  /** The live session behind a cookie value, or null when unknown or expired. */
  async lookup(sessionId: string | undefined): Promise<SessionInfo | null> {
    if (!sessionId || sessionId.length > 128) return null;
    const entry = await this.#store.get(SCOPE, sha256(sessionId));
    if (!entry.found) return null;
    const record = entry.value as unknown as SessionRecord;
    // The store's TTL is the backstop; the clock decides, so fake time in tests expires it too.
    if (typeof record?.expiresAt !== "number" || record.expiresAt <= this.#clock.now()) {
      await this.#store.delete(SCOPE, sha256(sessionId));
      return null;
    }
    return { csrfToken: csrfTokenFor(sessionId), expiresAt: record.expiresAt };
  }

  /** Ends a session (sign-out); unknown ids are fine. */
  async destroy(sessionId: string | undefined): Promise<void> {
    if (sessionId) await this.#store.delete(SCOPE, sha256(sessionId));
  }

  /**
   * Throws UNAUTHORIZED unless `sessionId` is live, and CSRF_REJECTED when an unsafe request
   * lacks the matching CSRF header.
   */
  async require(
    sessionId: string | undefined,
    unsafe: boolean,
    csrfHeader: string | undefined,
  ): Promise<SessionInfo> {
    const session = await this.lookup(sessionId);
    if (!session) throw new KilnError("UNAUTHORIZED", "the admin session is missing or expired");
    if (unsafe && !sameSecret(csrfHeader ?? "", session.csrfToken)) {
      throw new KilnError(
        "CSRF_REJECTED",
        "this request changes state and needs the session's X-Kiln-CSRF header",
      );
    }
    return session;
  }
}

/** The CSRF token of a session: a one-way function of its id, so nothing extra is stored. */
export function csrfTokenFor(sessionId: string): string {
  return sha256(`kiln-admin-csrf\0${sessionId}`);
}

/** Constant-time string equality, so the CSRF check leaks no prefix timing. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
