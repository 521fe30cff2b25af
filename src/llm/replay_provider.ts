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
 * waits as long as the recorded call took (on the injected timers). A stream replays the
 * recorded chunks at their recorded times divided by `speed` (default 1; 0: no waits); an entry
 * recorded without chunks streams its text in word-sized pieces.
 */
export class ReplayProvider implements LlmProvider {
  readonly name = "replay";
  readonly #byKey = new Map<string, Hit>();
  readonly #names: string[];
  readonly #latency: boolean;
  readonly #timers: LlmTimers;
  readonly #speed: number;

  constructor(
    cassettes: Cassette[],
    opts: { latency?: boolean; timers?: LlmTimers; speed?: number } = {},
  ) {
    for (const cassette of cassettes) {
      for (const entry of cassette.entries) this.#byKey.set(entry.key, { cassette, entry });
    }
    this.#names = cassettes.map((c) => c.name);
    this.#latency = opts.latency ?? false;
    this.#timers = opts.timers ?? systemTimers;
    this.#speed = opts.speed ?? 1;
  }

  async complete(req: ProviderRequest, opts: CallOptions = {}): Promise<ProviderResult> {
    const hit = await this.#find(req);
    if (this.#latency) await sleep(this.#timers, hit.entry.latencyMs, opts.signal);
    return answer(hit);
  }

  async *stream(req: ProviderRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const hit = await this.#find(req);
    const chunks = hit.entry.chunks;
    if (!chunks) {
      if (this.#latency) await sleep(this.#timers, hit.entry.latencyMs, opts.signal);
      for (const piece of hit.entry.result.text.match(/\S+\s*|\s+/g) ?? []) {
        yield { type: "delta", text: piece };
      }
      yield { type: "done", result: answer(hit) };
      return;
    }
    const started = this.#timers.now();
    for (const chunk of chunks) {
      const wait = this.#speed > 0 ? chunk.atMs / this.#speed - (this.#timers.now() - started) : 0;
      if (wait > 0) await sleep(this.#timers, wait, opts.signal);
      opts.signal?.throwIfAborted();
      yield { type: "delta", text: chunk.text };
    }
    yield { type: "done", result: answer(hit) };
  }

  async #find(req: ProviderRequest): Promise<Hit> {
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
    return hit;
  }
}

function answer(hit: Hit): ProviderResult {
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
