/**
 * A Kiln core as `createKiln` builds it, on its real isolate and wasm tiers, each wrapped in a
 * RecordingTier so ingress tests can see the `/execute` jobs the router built.
 */
import { type Logger, silentLogger } from "../../src/core/mod.ts";
import type { CodeBundler } from "../../src/bundler/mod.ts";
import type { Router } from "../../src/router/mod.ts";
import type { KilnOptions } from "../../src/kiln.ts";
import { IsolateTier, JcoComponentRunner, WasmTier } from "../../src/sandbox/mod.ts";
import { startKiln, type TestKiln } from "./kiln.ts";
import { RecordingTier } from "./recording_tier.ts";

export interface IngressKiln {
  t: TestKiln;
  router: Router;
  bundler: CodeBundler;
  tiers: { isolate: RecordingTier; wasm: RecordingTier };
  /** Calls the HTTP handler (router mounted) with a path under the Kiln origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Starts a Kiln on a temp dir with the router on recorded real isolate and wasm tiers. */
export async function startIngress(
  opts: { logger?: Logger; llm?: KilnOptions["llm"] } = {},
): Promise<IngressKiln> {
  const logger = opts.logger ?? silentLogger;
  const tiers = {
    isolate: new RecordingTier(new IsolateTier({ logger, workersPerApp: 2 })),
    wasm: new RecordingTier(
      new WasmTier({ logger, workers: 2, components: new JcoComponentRunner() }),
    ),
  };
  const t = await startKiln({
    logger,
    tiers: [tiers.isolate, tiers.wasm],
    ...(opts.llm ? { llm: opts.llm } : {}),
  });
  return {
    t,
    router: t.kiln.router,
    bundler: t.kiln.bundler,
    tiers,
    fetch: async (path, init) => await t.kiln.handler(new Request(`http://kiln.test${path}`, init)),
    close: () => t.close(),
  };
}
