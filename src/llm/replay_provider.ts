import { KilnError, quote } from "../core/mod.ts";
import { type Cassette, type CassetteEntry, requestKey } from "./cassette.ts";
import { type LlmTimers, sleep, systemTimers } from "./timers.ts";
import type {
  CallOptions,
  LlmProvider,
  ProviderRequest,
  ProviderResult,
  StreamEvent,
} from "./types.ts";

interface Hit {
  cassette: Cassette;
  entry: CassetteEntry;
}

/**
 * Answers calls from cassettes by the request's hash, offline and for free. Every answer is
 * labelled `provenance.kind: "recording"` with the cassette and its source. A call no cassette
 * holds fails with LLM_RECORDING_MISSING rather than inventing an answer. With `latency`, it
 * waits as long as the recorded call took (on the injected timers).
 */
export class ReplayProvider implements LlmProvider {
  readonly name = "replay";
  readonly #byKey = new Map<string, Hit>();
  readonly #names: string[];
  readonly #latency: boolean;
  readonly #timers: LlmTimers;

  constructor(cassettes: Cassette[], opts: { latency?: boolean; timers?: LlmTimers } = {}) {
    for (const cassette of cassettes) {
      for (const entry of cassette.entries) this.#byKey.set(entry.key, { cassette, entry });
    }
    this.#names = cassettes.map((c) => c.name);
    this.#latency = opts.latency ?? false;
    this.#timers = opts.timers ?? systemTimers;
  }

  async complete(req: ProviderRequest, opts: CallOptions = {}): Promise<ProviderResult> {
    const key = await requestKey(req);
    const hit = this.#byKey.get(key);
    if (!hit) {
      throw new KilnError(
        "LLM_RECORDING_MISSING",
        `no recording answers this call to ${quote(req.model)} (request key ${
          quote(key.slice(0, 16))
        }) in cassettes ${quote(this.#names.join(", ") || "(none)")}; record it against a live ` +
          "provider with KILN_LLM_RECORD_DIR",
        { key, model: req.model, cassettes: this.#names },
      );
    }
    if (this.#latency) await sleep(this.#timers, hit.entry.latencyMs, opts.signal);
    return {
      ...hit.entry.result,
      provenance: {
        kind: "recording",
        cassette: hit.cassette.name,
        recordedAt: hit.entry.recordedAt,
        source: hit.cassette.provenance.source,
      },
    };
  }

  async *stream(req: ProviderRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const result = await this.complete(req, opts);
    for (const piece of result.text.match(/\S+\s*|\s+/g) ?? []) {
      yield { type: "delta", text: piece };
    }
    yield { type: "done", result };
  }
}
