/**
 * Shared fixtures for the definition-store tests: a temp data dir with one registered app, a
 * fixed clock, and the stock `git` CLI for interop checks.
 */
import { KilnError } from "../../src/core/mod.ts";
export { assertFsckClean, git } from "./git.ts";
import { GitDefinitionStore } from "../../src/state/git_definition_store.ts";
import type { DefinitionCheckers } from "../../src/state/definition_checkers.ts";

export const APP = "shop";

export const APP_DEF = "appId: shop\ndisplayName: Shop\nversion: 1.0.0\n";

export const REGISTRY = `components:
  - componentId: getUser
    handlerType: jit
    taskDetails: { script: code/users.ts, function: getUser, language: typescript }
    routeMatcher: { pathPattern: /api/users/:id, methods: [GET] }
`;

export const USERS_TS = "export function getUser() {\n  return 1;\n}\n";

/** The files of a small valid app, relative to `state/`. */
export function shopFiles(extra: Record<string, string> = {}): Map<string, string> {
  return new Map(Object.entries({
    "app_definition.yaml": APP_DEF,
    "component_registry.yaml": REGISTRY,
    "code/users.ts": USERS_TS,
    ...extra,
  }));
}

/** A clock stopped at 2026-01-02T03:04:05Z. */
export const fixedClock = { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) };

export interface Fixture {
  store: GitDefinitionStore;
  dir: string;
  /** The head after registering the app. */
  head: string;
}

/** Runs `fn` with a store holding the registered `shop` app; removes everything afterwards. */
export async function withShop(
  fn: (f: Fixture) => Promise<void>,
  opts: { maxFileBytes?: number; checkers?: DefinitionCheckers } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-defs-" });
  try {
    const store = new GitDefinitionStore({ dataDir: dir, clock: fixedClock, ...opts });
    await store.ensureRepo(APP);
    const { resultingRevision } = await store.replaceTree(APP, shopFiles(), null, {
      commitMessage: "Register shop",
    });
    await fn({ store, dir, head: resultingRevision });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Awaits `p` and returns the KilnError it rejects with; fails if it resolves. */
export async function kilnError(p: Promise<unknown>): Promise<KilnError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KilnError) return err;
    throw err;
  }
  throw new Error("expected a KilnError, but the call succeeded");
}
