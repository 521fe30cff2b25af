/**
 * One execution on a prepared QuickJS context restored from its snapshot (`_guest_snapshot.ts`):
 * the bundle, the entry call, and the promise loop that feeds MCP replies back in until the
 * handler settles.
 *
 * Memory: see `_quickjs_instance.ts`. The heap size is checked in the interrupt handler, in the
 * host functions and after every call into the guest; past the limit the run ends with reason
 * `memory` and the instance is dropped rather than cleaned up.
 *
 * Stack: QuickJS's own ceiling is 256 KiB of wasm shadow stack (about 1,300 plain JS frames); an
 * uncaught overflow kills the execution with reason `stack`. A few C-recursive paths (the parser,
 * JSON on deeply nested values) can exhaust the worker's native V8 stack first; that surfaces as a
 * host RangeError out of the wasm call, also reported as `stack`, and the worker is recycled.
 */
import type {
  QuickJSContext,
  QuickJSDeferredPromise,
  QuickJSHandle,
} from "quickjs-emscripten-core";
import type { GuestKillReason, GuestLogLine, GuestOutcome, GuestSpec } from "./_protocol.ts";
import { type GuestSnapshot, nextSeed } from "./_guest_snapshot.ts";
import type { QuickJsInstance } from "./_quickjs_instance.ts";
import { LOG_LINE_BYTES, MAX_CALLS_IN_FLIGHT, TOO_MANY_CALLS } from "../tier.ts";

type Result = { value: QuickJSHandle; error?: undefined } | { error: QuickJSHandle };

/** Where a run sends its MCP calls, with the log lines gathered since the last message. */
export interface GuestPort {
  call(callId: number, tool: string, params: string | undefined, logs: GuestLogLine[]): void;
  /** Whether the host cancelled this run (read by the interrupt handler, so it must be cheap). */
  cancelled?(): boolean;
}

class Stop {
  constructor(readonly outcome: GuestOutcome) {}
}

/**
 * Runs `spec` once; `deliver` feeds it the host's replies to its MCP calls. Handles made during the
 * run are never disposed: the snapshot's reset reclaims all of them at once.
 */
export class GuestRun {
  readonly #instance: QuickJsInstance;
  readonly #ctx: QuickJSContext;
  #kill: GuestKillReason | null = null;
  #deadline = 0;
  #logs: GuestLogLine[] = [];
  #logBytes = 0;
  #nextCallId = 1;
  #wake: (() => void) | null = null;
  readonly #inflight = new Map<number, QuickJSDeferredPromise>();
  readonly #replies: { callId: number; reply: string }[] = [];

  constructor(
    private readonly snapshot: GuestSnapshot,
    private readonly spec: GuestSpec,
    private readonly port: GuestPort,
  ) {
    this.#instance = snapshot.instance;
    this.#ctx = snapshot.context;
  }

  /** Log lines not yet handed to the host. */
  takeLogs(): GuestLogLine[] {
    const logs = this.#logs;
    this.#logs = [];
    return logs;
  }

  /** The host cancelled the run: it stops at its next interrupt check or event. */
  cancel(): void {
    this.#kill ??= "timeout";
    this.#wake?.();
  }

  deliver(callId: number, reply: string): void {
    this.#replies.push({ callId, reply });
    this.#wake?.();
  }

  /**
   * Runs the execution. The snapshot is left dirty; the caller resets it (or recycles the instance
   * when the outcome says so) once the outcome is out of the way.
   */
  async run(): Promise<GuestOutcome> {
    this.#deadline = performance.now() + this.spec.timeoutMs;
    if (!this.#instance.fits(3 * (this.spec.source.length + this.spec.input.length))) {
      return this.#killed("memory");
    }
    let outcome: GuestOutcome;
    try {
      const evaluated = this.snapshot.begin({
        interrupted: () => this.#interrupted(),
        call: (tool, params) => this.#hostCall(tool, params),
        log: (args) => this.#hostLog(args),
      }, this.spec.key);
      outcome = await this.#execute(this.#ctx, evaluated);
    } catch (err) {
      // Something threw out of wasm: the stack pointer may be off, so the image cannot be trusted.
      return { ...(this.#kill ? this.#killed(this.#kill) : hostFailure(err)), recycle: true };
    }
    return this.#instance.exceeded() ? { ...outcome, recycle: true } : outcome;
  }

  #interrupted(): boolean {
    if (!this.#kill && this.port.cancelled?.()) this.#kill = "timeout";
    if (this.#stopped()) return true;
    if (performance.now() <= this.#deadline) return false;
    this.#kill = "timeout";
    return true;
  }

  /** The kill reason once the run must stop, checking the heap first. */
  #stopped(): GuestKillReason | null {
    if (!this.#kill && this.#instance.exceeded()) this.#kill = "memory";
    return this.#kill;
  }

  async #execute(ctx: QuickJSContext, evaluated: boolean): Promise<GuestOutcome> {
    const { invoke, encode } = this.snapshot.api;
    const rt = this.snapshot.runtime;
    try {
      if (!evaluated) this.#evaluate(ctx);
      const { entry, input } = this.spec;
      const args = [ctx.newString(entry), ctx.newString(input), ctx.newString(nextSeed())];
      const promise = this.#take(ctx, ctx.callFunction(invoke, ctx.undefined, args));
      for (;;) {
        const jobs = rt.executePendingJobs();
        if (jobs.error) return this.#fromError(ctx, jobs.error);
        const kill = this.#stopped();
        if (kill) return this.#killed(kill);
        const state = ctx.getPromiseState(promise);
        if (state.type === "fulfilled") {
          const json = this.#take(ctx, ctx.callFunction(encode, ctx.undefined, state.value));
          return { kind: "ok", json: this.#read(ctx, json) };
        }
        if (state.type === "rejected") return this.#fromError(ctx, state.error);
        if (this.#inflight.size === 0 && !rt.hasPendingJob()) {
          return { kind: "error", code: "APPLICATION_ERROR", message: NEVER_SETTLES };
        }
        await this.#nextEvent();
        if (performance.now() > this.#deadline) this.#kill ??= "timeout";
        this.#applyReplies(ctx);
        if (this.#kill) return this.#killed(this.#kill);
      }
    } catch (err) {
      if (err instanceof Stop) return err.outcome;
      throw err;
    }
  }

  /**
   * Evaluates the bundle. When its top level only defined things (it called no host function and
   * left no job pending), the state now is what every later execution of the same bundle would
   * build again, so the snapshot keeps an image of it and those start from there.
   */
  #evaluate(ctx: QuickJSContext): void {
    const { key, source } = this.spec;
    this.#take(ctx, ctx.evalCode(source, "component.js", { type: "global" })).dispose();
    const quiet = this.#nextCallId === 1 && this.#logBytes === 0 && this.#logs.length === 0;
    if (key !== undefined && quiet && !this.snapshot.runtime.hasPendingJob()) {
      this.snapshot.keep(key);
    }
  }

  #take(ctx: QuickJSContext, result: Result): QuickJSHandle {
    if (result.error) throw new Stop(this.#fromError(ctx, result.error));
    const kill = this.#stopped();
    if (kill) throw new Stop(this.#killed(kill));
    return result.value;
  }

  /** Reads a guest string, refusing it past the output cap before copying it out of the heap. */
  #read(ctx: QuickJSContext, handle: QuickJSHandle): string {
    const max = this.spec.maxOutputBytes;
    const text = lengthOf(ctx, handle) > max ? null : ctx.getString(handle);
    if (text === null || (text.length * 3 > max && utf8Length(text) > max)) {
      throw new Stop(this.#killed("output"));
    }
    return text;
  }

  #fromError(ctx: QuickJSContext, error: QuickJSHandle): GuestOutcome {
    const kill = this.#stopped();
    if (kill) return this.#killed(kill);
    const described = ctx.callFunction(this.snapshot.api.describe, ctx.undefined, error);
    if (described.error) return this.#killed(this.#kill ?? "memory");
    const info = JSON.parse(this.#read(ctx, described.value)) as GuestErrorInfo;
    if (info.name === "InternalError" && info.message === "out of memory") {
      return this.#killed("memory");
    }
    if (info.message === "stack overflow" && STACK_ERRORS.has(info.name)) {
      return this.#killed("stack");
    }
    return { kind: "error", code: info.code ?? "APPLICATION_ERROR", message: info.message };
  }

  #killed(reason: GuestKillReason): GuestOutcome {
    const { timeoutMs, memoryMb, maxOutputBytes } = this.spec;
    const message = {
      timeout: `ran past its ${timeoutMs} ms deadline`,
      memory: `exceeded its ${memoryMb} MB memory limit`,
      stack: "exceeded the maximum call stack depth",
      output: `produced more than ${maxOutputBytes} bytes of output`,
      crash: "crashed the QuickJS runtime",
    }[reason];
    return { kind: "killed", reason, message };
  }

  #hostCall(tool: QuickJSHandle, params: QuickJSHandle): QuickJSHandle {
    const ctx = this.#ctx;
    if (this.#stopped()) return ctx.undefined;
    const deferred = ctx.newPromise();
    if (this.#inflight.size >= MAX_CALLS_IN_FLIGHT) {
      const reply = { ok: false, code: "OVERLOADED", message: TOO_MANY_CALLS };
      ctx.newString(JSON.stringify(reply)).consume((text) => deferred.resolve(text));
      return deferred.handle;
    }
    const callId = this.#nextCallId++;
    this.#inflight.set(callId, deferred);
    const paramsText = ctx.typeof(params) === "string" ? ctx.getString(params) : undefined;
    this.port.call(callId, ctx.getString(tool), paramsText, this.takeLogs());
    return deferred.handle;
  }

  #hostLog([level, message, fields, source]: QuickJSHandle[]): void {
    const ctx = this.#ctx;
    if (this.#stopped()) return;
    const max = this.spec.maxOutputBytes;
    const length = lengthOf(ctx, message);
    const fieldsText = ctx.typeof(fields) === "string" ? ctx.getString(fields) : undefined;
    this.#logBytes += LOG_LINE_BYTES + length + (fieldsText?.length ?? 0);
    if (this.#logBytes > max) {
      this.#kill ??= "output";
      return;
    }
    const line: GuestLogLine = {
      level: ctx.getString(level) as GuestLogLine["level"],
      message: ctx.getString(message),
      source: ctx.getString(source) === "sdk" ? "sdk" : "console",
    };
    if (fieldsText !== undefined) line.fields = fieldsText;
    this.#logs.push(line);
  }

  #nextEvent(): Promise<void> {
    if (this.#replies.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, this.#deadline - performance.now()) + 1);
      this.#wake = done;
    });
  }

  #applyReplies(ctx: QuickJSContext): void {
    for (const { callId, reply } of this.#replies.splice(0)) {
      const deferred = this.#inflight.get(callId);
      if (!deferred || this.#stopped()) continue;
      this.#inflight.delete(callId);
      if (!this.#instance.fits(3 * reply.length)) {
        this.#kill = "memory";
        continue;
      }
      ctx.newString(reply).consume((text) => deferred.resolve(text));
    }
  }
}

interface GuestErrorInfo {
  name: string;
  message: string;
  code?: string;
}

const STACK_ERRORS = new Set(["InternalError", "SyntaxError", "RangeError"]);
const NEVER_SETTLES = "the handler returned a promise that can never settle " +
  "(it awaits something that is neither an MCP call nor a guest promise)";

function hostFailure(err: unknown): GuestOutcome {
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return { kind: "killed", reason: "stack", message: "exhausted the worker's native stack" };
  }
  const detail = err instanceof Error ? err.message : String(err);
  return { kind: "killed", reason: "crash", message: `crashed the QuickJS runtime: ${detail}` };
}

function lengthOf(ctx: QuickJSContext, text: QuickJSHandle): number {
  return ctx.getProp(text, "length").consume((length) => ctx.getNumber(length));
}

/** UTF-8 size of `text`, for output caps measured in bytes. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) (bytes += 4, i++);
    else bytes += 3;
  }
  return bytes;
}
