/**
 * A QuickJS runtime and context prepared once per instance (limits set, interrupt handler and host
 * functions installed, the prelude evaluated) and an image of the linear memory taken right after.
 * Every execution starts from that image, and the memory is put back to it as soon as the
 * execution ends, so no execution sees what an earlier one left (globals, patched builtins,
 * pending jobs, heap contents) and none pays for building a runtime and a context.
 *
 * Why putting the linear memory back is a full reset: QuickJS keeps all of its state (runtime,
 * context, atoms, shapes, job queue, GC lists, the malloc heap and its free lists, the stack
 * limit's counters) in that memory, and so does the C library (the sbrk break is a static). What
 * lives outside it:
 * - the wasm globals: the shadow-stack pointer, balanced again whenever a call returns normally;
 *   a call that throws out of wasm (a trap, V8's own stack overflow) may leave it moved, so such
 *   a run recycles the instance instead of restoring it;
 * - the memory's size: it only grows. Pages past the image are not copied back; the restored
 *   allocator treats them as unused and QuickJS initialises what it allocates there. A run that
 *   grew the heap past the limit recycles the instance;
 * - quickjs-emscripten's JS side: the runtime and context objects, the handles kept here (all
 *   created before the image, never disposed, so the guest cannot free what they point to) and
 *   the host-function table (the two functions below, made once: an execution creates none).
 *   Handles an execution creates point into memory that the restore reclaims; they are dropped
 *   with the execution, never disposed after it;
 * - emscripten's JS glue: heap views (refreshed on growth), stdio buffers and timers, which
 *   QuickJS without its std library never uses.
 *
 * Bundles: the first execution of a bundle (by content hash) evaluates it on the base state; if
 * its top level only defined things (no host call, no log, no job left pending, no error or
 * kill), a second image is taken right there, between two calls into the guest, and later
 * executions of that bundle start from it, skipping the parse and the top level. That state is
 * exactly what evaluating the same bytes on the same base builds again, except the top level's
 * own draws of time and `Math.random`, which are now made once per instance (as a module's top
 * level runs once per isolate elsewhere). `Math.random` is reseeded for every execution.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { GUEST_PRELUDE } from "./_guest_prelude.ts";
import type { MemoryImage } from "./_memory_image.ts";
import { QuickJsInstance } from "./_quickjs_instance.ts";

const GUEST_STACK_BYTES = 256 * 1024;
const MB = 1024 * 1024;
/** Evaluated bundles kept per instance (each image is a copy of the memory in use, ~0.5 MB up). */
const MAX_BUNDLE_IMAGES = 8;
/** Bytes all of an instance's bundle images may copy; a bundle whose image is larger is evaluated per execution. */
const MAX_BUNDLE_IMAGE_BYTES = 16 * MB;
/**
 * Executions per bundle image taken, past a first burst of `IMAGE_BURST`. Taking an image scans
 * the whole memory (~5 ms for 16 MiB), so bundles cycling through more than the kept images would
 * otherwise pay that on every execution; this bounds it to ~40 µs per execution on average.
 */
const EXECUTIONS_PER_IMAGE = 128;
const IMAGE_BURST = 4;
/**
 * Memory size past which an instance takes no more bundle images: the scan runs inside the first
 * execution's deadline (~15 ms at this size), and memory grown by earlier executions never shrinks.
 */
const MAX_SCANNED_BYTES = 64 * MB;

/** What the running execution answers for the snapshot's host functions and interrupt handler. */
export interface GuestHooks {
  interrupted(): boolean;
  call(tool: QuickJSHandle, params: QuickJSHandle): QuickJSHandle;
  log(args: QuickJSHandle[]): void;
}

export class GuestSnapshot {
  #dirty = false;
  readonly #base: MemoryImage;
  /** Images taken right after a bundle was evaluated on the base, by bundle key, oldest first. */
  readonly #bundles = new Map<string, MemoryImage>();
  #bundleBytes = 0;
  /** Executions earned towards taking the next image (see `EXECUTIONS_PER_IMAGE`). */
  #credit = IMAGE_BURST * EXECUTIONS_PER_IMAGE;
  #imagesTaken = 0;
  /** The image the memory was last put back to, or taken from. */
  #current: MemoryImage;

  private constructor(
    /** The running execution's hooks, read by the host functions and the interrupt handler. */
    private readonly slot: { hooks: GuestHooks | null },
    readonly instance: QuickJsInstance,
    readonly runtime: QuickJSRuntime,
    readonly context: QuickJSContext,
    /** The prelude's helpers: invoke, encode, describe, reseed. */
    readonly api: { invoke: QuickJSHandle; encode: QuickJSHandle; describe: QuickJSHandle },
    private readonly reseedFn: QuickJSHandle,
  ) {
    this.#base = instance.capture();
    this.#current = this.#base;
  }

  /** Loads an instance for `memoryMb`, prepares its runtime and context, and takes the image. */
  static async create(memoryMb: number): Promise<GuestSnapshot> {
    const instance = await QuickJsInstance.create(memoryMb);
    const rt = instance.module.newRuntime();
    rt.setMemoryLimit(memoryMb * MB);
    rt.setMaxStackSize(GUEST_STACK_BYTES);
    const ctx = rt.newContext();
    const slot: { hooks: GuestHooks | null } = { hooks: null };
    rt.setInterruptHandler(() => slot.hooks?.interrupted() ?? false);
    const call = ctx.newFunction(
      "call",
      (tool, params) => slot.hooks?.call(tool, params) ?? ctx.undefined,
    );
    const log = ctx.newFunction("log", (...args) => slot.hooks?.log(args));
    const prelude = ctx.unwrapResult(
      ctx.evalCode(GUEST_PRELUDE, "kiln:prelude", { type: "global" }),
    );
    const api = ctx.unwrapResult(ctx.callFunction(prelude, ctx.undefined, call, log));
    const [invoke, encode, describe, reseed] = [0, 1, 2, 3].map((i) => ctx.getProp(api, i));
    prelude.dispose();
    api.dispose();
    // Settles the lazily cached handles the library keeps, so none is first made mid-execution.
    void ctx.undefined;
    return new GuestSnapshot(slot, instance, rt, ctx, { invoke, encode, describe }, reseed);
  }

  /** Bytes copied back after each execution from the base image. */
  get imageBytes(): number {
    return this.#base.copiedBytes;
  }

  /** Bundle images taken since the instance was prepared (kept or since dropped). */
  get imagesTaken(): number {
    return this.#imagesTaken;
  }

  /** Keys of the bundles kept evaluated, oldest first. */
  get bundleKeys(): string[] {
    return [...this.#bundles.keys()];
  }

  /** Whether the memory is exactly the image the last execution started from (none ran since). */
  pristine(): boolean {
    return this.instance.holds(this.#current);
  }

  /**
   * Starts an execution on a pristine state: the one right after the bundle `key` was evaluated
   * when an image of it is kept (true: the bundle must not be evaluated again), else the base
   * (false). The memory is put back first if an execution ran since, or the state differs, and the
   * guest's `Math.random` gets a fresh seed.
   */
  begin(hooks: GuestHooks, key?: string): boolean {
    const kept = key === undefined ? undefined : this.#bundles.get(key);
    if (kept && key !== undefined) (this.#bundles.delete(key), this.#bundles.set(key, kept));
    const image = kept ?? this.#base;
    if ((this.#dirty || image !== this.#current) && !this.#restore(image)) {
      throw new Error("the snapshot could not be restored");
    }
    this.#dirty = true;
    this.slot.hooks = hooks;
    this.#credit = Math.min(this.#credit + 1, IMAGE_BURST * EXECUTIONS_PER_IMAGE);
    // The bundle's top level runs next and may draw; the handler's draws are reseeded by `invoke`.
    if (!kept) this.#reseed();
    return kept !== undefined;
  }

  /**
   * Keeps an image of the state now, taken between calls into the guest right after the bundle
   * `key` was evaluated on the base and nothing else happened (no host call, no pending job), so
   * later executions of that bundle start from it. The rest of this execution goes on from here.
   * Skipped while the instance has taken images faster than `EXECUTIONS_PER_IMAGE` allows, or once
   * its memory has grown past `MAX_SCANNED_BYTES`.
   */
  keep(key: string): void {
    if (this.#bundles.has(key) || this.#credit < EXECUTIONS_PER_IMAGE) return;
    if (this.instance.bytes > MAX_SCANNED_BYTES) return;
    this.#credit -= EXECUTIONS_PER_IMAGE;
    this.#imagesTaken++;
    const image = this.instance.capture(this.#base.gap);
    if (image.copiedBytes > MAX_BUNDLE_IMAGE_BYTES) return;
    this.#bundles.set(key, image);
    this.#bundleBytes += image.copiedBytes;
    this.#current = image;
    for (const [old, kept] of this.#bundles) {
      if (this.#bundles.size <= MAX_BUNDLE_IMAGES && this.#bundleBytes <= MAX_BUNDLE_IMAGE_BYTES) {
        break;
      }
      this.#bundles.delete(old);
      this.#bundleBytes -= kept.copiedBytes;
    }
  }

  /**
   * Ends the execution in progress, if any, and puts the memory back to the image it started
   * from. False when that cannot be trusted to be complete: the snapshot must then be dropped.
   */
  reset(): boolean {
    this.slot.hooks = null;
    if (!this.#dirty) return true;
    return this.#restore(this.#current);
  }

  #restore(image: MemoryImage): boolean {
    this.#dirty = false;
    this.#current = image;
    return this.instance.restore(image);
  }

  #reseed(): void {
    const seed = nextSeed();
    const ctx = this.context;
    const result = ctx.newString(seed).consume((text) =>
      ctx.callFunction(this.reseedFn, ctx.undefined, text)
    );
    ctx.unwrapResult(result).dispose();
  }
}

/** CSPRNG words drawn in batches: one `getRandomValues` per 256 executions. */
const seeds = new Uint32Array(1024);
let seedAt = seeds.length;

/** A fresh seed for the guest's `Math.random`, as the JSON text `reseed` and `invoke` take. */
export function nextSeed(): string {
  if (seedAt >= seeds.length) {
    crypto.getRandomValues(seeds);
    seedAt = 0;
  }
  const words = seeds.subarray(seedAt, seedAt + 4);
  seedAt += 4;
  return `[${words[0]},${words[1]},${words[2]},${words[3]}]`;
}
