/**
 * A Kiln core with the request router mounted, for the ingress tests: the pieces `createKiln`
 * builds, plus a router running on test-only inline tiers (`inline_tier.ts`) until the lead
 * wires the real isolate and wasm tiers into the composition root.
 */
import { Authenticator, setupAdminToken } from "../../src/auth/mod.ts";
import { type Logger, silentLogger } from "../../src/core/mod.ts";
import { createHttpApp } from "../../src/http/mod.ts";
import { JitRunner } from "../../src/jit/mod.ts";
import { Router } from "../../src/router/mod.ts";
import { SandboxManager } from "../../src/sandbox/mod.ts";
import { InlineTier } from "./inline_tier.ts";
import type { KilnOptions } from "../../src/kiln.ts";
import { ADMIN_TOKEN, startKiln, type TestKiln } from "./kiln.ts";

export interface IngressKiln {
  t: TestKiln;
  router: Router;
  jit: JitRunner;
  tiers: { isolate: InlineTier; wasm: InlineTier };
  /** Calls the HTTP handler (router mounted) with a path under the Kiln origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a Kiln on a temp dir with the router on inline isolate (esm) and wasm (iife) tiers. */
export async function startIngress(
  opts: { logger?: Logger; llm?: KilnOptions["llm"] } = {},
): Promise<IngressKiln> {
  const logger = opts.logger ?? silentLogger;
  const t = await startKiln({ logger, ...(opts.llm ? { llm: opts.llm } : {}) });
  const { registry, state, tools, executionTokens, mcp } = t.kiln;
  const tiers = {
    isolate: new InlineTier("isolate"),
    wasm: new InlineTier("wasm", { javascript: "iife", wasmComponent: true }),
  };
  const sandbox = new SandboxManager([tiers.isolate, tiers.wasm], logger);
  const jit = new JitRunner(state);
  const llm = t.kiln.llmRunner;
  const router = new Router({ registry, sandbox, jit, tools, executionTokens, logger, llm });
  tools.setInvoker((...args) => router.invoke(...args));
  const admin = await setupAdminToken(t.kiln.store, ADMIN_TOKEN);
  const auth = new Authenticator(
    admin.verifier,
    (key) => registry.validateApiKey(key),
    executionTokens,
  );
  const app = createHttpApp({
    registry,
    state,
    auth,
    logger,
    version: "test",
    executionTokens,
    mcp,
    router,
  });
  return {
    t,
    router,
    jit,
    tiers,
    fetch: async (path, init) => await app.fetch(new Request(`http://kiln.test${path}`, init)),
    close: async () => {
      await sandbox.close();
      await t.close();
    },
  };
}
