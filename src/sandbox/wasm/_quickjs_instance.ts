/**
 * A QuickJS wasm instance with its own linear memory, capped for one memory limit.
 *
 * Why not just `runtime.setMemoryLimit`: in the emscripten builds QuickJS cannot see allocation
 * sizes (`malloc_usable_size` is 0), so that limit only refuses single allocations larger than it
 * and many smaller ones grow the heap to 2 GiB (quickjs-emscripten issue #271). The hard ceiling
 * is therefore the WebAssembly.Memory maximum: the engine's 16 MiB base, plus `memoryMb`, plus a
 * 4 MiB reserve for the host's own allocations. A run is killed for memory once the heap grows
 * past base + `memoryMb`; the reserve keeps the host's bookkeeping working until it notices.
 * Emscripten grows the heap in 5-20% steps, so the kill lands within a few percent of the limit.
 */
import variant from "@jitl/quickjs-singlefile-mjs-release-sync";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { MemoryImage, type StackGap } from "./_memory_image.ts";

const MB = 1024 * 1024;
const PAGE_BYTES = 65_536;
/** The memory size the QuickJS wasm module declares as its minimum. */
export const BASE_BYTES = 16 * MB;
const RESERVE_BYTES = 4 * MB;
/** Emscripten's glue never grows the heap past 2 GiB. */
const MAX_PAGES = 32_768;

export class QuickJsInstance {
  private constructor(
    readonly module: QuickJSWASMModule,
    private readonly memory: WebAssembly.Memory,
    /** Heap size past which the running guest is killed for memory. */
    readonly limitBytes: number,
  ) {}

  /** Loads QuickJS into a fresh linear memory sized for `memoryMb`. No file or network access. */
  static async create(memoryMb: number): Promise<QuickJsInstance> {
    const maximum = Math.min(
      MAX_PAGES,
      Math.ceil((BASE_BYTES + memoryMb * MB + RESERVE_BYTES) / PAGE_BYTES),
    );
    const memory = new WebAssembly.Memory({ initial: BASE_BYTES / PAGE_BYTES, maximum });
    const module = await newQuickJSWASMModuleFromVariant(
      newVariant(variant, { wasmMemory: memory }),
    );
    const limitBytes = Math.min(BASE_BYTES + memoryMb * MB, maximum * PAGE_BYTES - RESERVE_BYTES);
    return new QuickJsInstance(module, memory, limitBytes);
  }

  /** The linear memory's size now (it only grows). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** True once the heap has grown past the limit: the guest must stop, the instance be dropped. */
  exceeded(): boolean {
    return this.memory.buffer.byteLength > this.limitBytes;
  }

  /** Whether copying `bytes` into the guest is sure to leave the heap within the limit. */
  fits(bytes: number): boolean {
    return this.memory.buffer.byteLength + bytes <= this.limitBytes;
  }

  /** An image of the linear memory as it is now, leaving out `gap` if given (see `_memory_image.ts`). */
  capture(gap?: StackGap | null): MemoryImage {
    return MemoryImage.capture(this.memory, gap);
  }

  /** Puts `image` back; false when the instance must be dropped instead (see `MemoryImage`). */
  restore(image: MemoryImage): boolean {
    return image.restore(this.memory);
  }

  /** Whether the memory holds exactly `image`. */
  holds(image: MemoryImage): boolean {
    return image.matches(this.memory);
  }
}
