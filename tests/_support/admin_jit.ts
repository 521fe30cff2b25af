/**
 * The JIT side of the admin panel's browser tests: the phones app of `jit.ts` with recorded
 * traffic (replay provider) and a stand-in coder, so the panel can show metrics with data,
 * trigger a generation and read its gate report against Kiln's real JIT loop.
 */
import type { Kiln, KilnOptions } from "../../src/kiln.ts";
import type { WireServer } from "../../src/llm/_test_support.ts";
import {
  phoneAppFiles,
  postPhone,
  recordTraffic,
  serveCoder,
  US_HANDLER,
  US_TESTS,
  usPhones,
  WIRE_MODEL,
} from "./jit.ts";

export { APP as JIT_APP_ID, COMPONENT as JIT_COMPONENT_ID } from "./jit.ts";

export interface JitSetup {
  /** Options for `startPanelKiln`: replayed model, the coder stand-in, no timed oracle. */
  options: Partial<KilnOptions>;
  /** Registers the phones app and sends it traffic (each number twice, so samples repeat). */
  seed(kiln: Kiln): Promise<void>;
  close(): Promise<void>;
}

/** Records 30 phone numbers and starts the coder stand-in. */
export async function prepareJit(): Promise<JitSetup> {
  const phones = usPhones(30);
  const cassette = await recordTraffic(phones);
  const coder: WireServer = serveCoder([{ handler: US_HANDLER, tests: US_TESTS }]);
  return {
    options: {
      random: () => 0,
      optimization: { evaluateEveryMs: 0 },
      llm: {
        config: {
          profiles: {
            default: { provider: "replay", model: WIRE_MODEL },
            coder: { provider: "openai", baseUrl: `${coder.url}/v1`, model: "coder-model" },
          },
        },
        cassettes: [cassette],
      },
    },
    async seed(kiln) {
      await kiln.registry.registerApplication({ files: phoneAppFiles() }, "Kiln <kiln@localhost>");
      for (const phone of [...phones, ...phones]) {
        const r = await postPhone(kiln.handler, phone);
        if (r.status !== 200) throw new Error(`traffic for ${phone}: ${r.status} ${r.body}`);
      }
      await kiln.jitService.idle();
    },
    close: () => coder.close(),
  };
}
