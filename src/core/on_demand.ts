import { KilnError } from "./errors/mod.ts";

/**
 * A service whose code loads on first use. `kiln serve` listens before the subsystems most
 * requests never touch are even imported (the workflow engine, the JIT loop, the LLM gateway, the
 * admin API); each sits behind one of these, built by a loader that `import()`s its folder with a
 * literal specifier (so `deno compile` still embeds it). Concurrent first uses share one load; a
 * load that fails is an INTERNAL error (500) for the callers waiting on it, and the next use
 * tries again rather than keeping a broken process.
 */
export class OnDemand<T> {
  readonly #name: string;
  readonly #load: () => Promise<T>;
  #pending: Promise<T> | null = null;
  #value: T | undefined;
  #done = false;

  constructor(name: string, load: () => Promise<T>) {
    this.#name = name;
    this.#load = load;
  }

  /** The service, loading it on the first call. */
  get(): Promise<T> {
    if (this.#done) return Promise.resolve(this.#value as T);
    this.#pending ??= this.#load().then((value) => {
      this.#value = value;
      this.#done = true;
      return value;
    }, (err) => {
      this.#pending = null;
      // The reason stays in `cause` (logged), not in the message a caller may read.
      throw new KilnError("INTERNAL", `${this.#name} could not be loaded`, undefined, {
        cause: err,
      });
    });
    return this.#pending;
  }

  /** The service when it has loaded; undefined before (nothing is loaded by asking). */
  get loaded(): T | undefined {
    return this.#value;
  }

  /** Settles once no load is in flight: the service, or undefined when it never loaded. */
  async settled(): Promise<T | undefined> {
    if (this.#pending) await this.#pending.catch(() => undefined);
    return this.#value;
  }
}
