/**
 * A reference to a service built after the one that needs it. Two services that call each other
 * (the router and the tool registry, say) cannot both be constructed with the other: one takes a
 * `Lazy`, and the composition root fills it once, right after building the other. Using it before
 * that, or filling it twice, is a wiring bug and throws at once rather than misbehaving later.
 */
export class Lazy<T> {
  readonly #name: string;
  #value: T | undefined;
  #set = false;

  constructor(name: string) {
    this.#name = name;
  }

  /** Fills the reference; only once. */
  set(value: T): void {
    if (this.#set) throw new Error(`${this.#name} is already set`);
    this.#value = value;
    this.#set = true;
  }

  /** The value; throws when the composition root has not set it yet. */
  get(): T {
    if (!this.#set) throw new Error(`${this.#name} is used before it is set`);
    return this.#value as T;
  }

  /** Whether the value is set (for shutdown paths that may run before wiring finished). */
  get ready(): boolean {
    return this.#set;
  }
}
