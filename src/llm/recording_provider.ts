import { dirname } from "node:path";
import { type Cassette, newCassette, parseCassette, requestKey } from "./cassette.ts";
import { type LlmTimers, systemTimers } from "./timers.ts";
import type {
  CallOptions,
  LlmProvider,
  ProviderRequest,
  ProviderResult,
  StreamEvent,
} from "./types.ts";

/**
 * Passes calls to a live provider and records each answer, with its latency, into a cassette
 * file (rewritten atomically after every call). The file can then be imported as a JSON module
 * and replayed by ReplayProvider. Recording never changes what the caller gets.
 */
export class RecordingProvider implements LlmProvider {
  readonly #inner: LlmProvider;
  readonly #path: string;
  readonly #timers: LlmTimers;
  #cassette: Promise<Cassette>;
  #writes: Promise<void> = Promise.resolve();

  constructor(
    inner: LlmProvider,
    opts: { path: string; name: string; source: string; timers?: LlmTimers },
  ) {
    this.#inner = inner;
    this.#path = opts.path;
    this.#timers = opts.timers ?? systemTimers;
    this.#cassette = load(
      opts.path,
      () => newCassette(opts.name, opts.source, new Date(this.#timers.now())),
    );
  }

  get name(): string {
    return this.#inner.name;
  }

  async complete(req: ProviderRequest, opts: CallOptions = {}): Promise<ProviderResult> {
    const started = this.#timers.now();
    const result = await this.#inner.complete(req, opts);
    await this.#record(req, result, this.#timers.now() - started);
    return result;
  }

  async *stream(req: ProviderRequest, opts: CallOptions = {}): AsyncGenerator<StreamEvent> {
    const started = this.#timers.now();
    const chunks: Chunk[] = [];
    for await (const event of this.#inner.stream(req, opts)) {
      if (event.type === "delta") {
        chunks.push({ text: event.text, atMs: this.#timers.now() - started });
      } else await this.#record(req, event.result, this.#timers.now() - started, chunks);
      yield event;
    }
  }

  /** Resolves when every recording so far is on disk. */
  flush(): Promise<void> {
    return this.#writes;
  }

  async #record(
    req: ProviderRequest,
    result: ProviderResult,
    latencyMs: number,
    chunks?: Chunk[],
  ): Promise<void> {
    const key = await requestKey(req);
    const cassette = await this.#cassette;
    const { text, usage, model, finishReason } = result;
    // A plain call keeps the timing a streamed recording of the same answer already holds.
    const earlier = cassette.entries.find((e) => e.key === key);
    chunks ??= earlier?.result.text === text ? earlier.chunks : undefined;
    cassette.entries = cassette.entries.filter((e) => e.key !== key);
    cassette.entries.push({
      key,
      request: structuredClone(req) as Cassette["entries"][number]["request"],
      result: { text, usage, model, finishReason },
      latencyMs,
      ...(chunks ? { chunks } : {}),
      recordedAt: new Date(this.#timers.now()).toISOString(),
    });
    const body = `${JSON.stringify(cassette, null, 2)}\n`;
    this.#writes = this.#writes.then(async () => {
      await Deno.mkdir(dirname(this.#path), { recursive: true });
      const tmp = `${this.#path}.tmp`;
      await Deno.writeTextFile(tmp, body);
      await Deno.rename(tmp, this.#path);
    });
    await this.#writes;
  }
}

type Chunk = NonNullable<Cassette["entries"][number]["chunks"]>[number];

async function load(path: string, fresh: () => Cassette): Promise<Cassette> {
  try {
    return parseCassette(JSON.parse(await Deno.readTextFile(path)));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return fresh();
    throw err;
  }
}
