/**
 * TEST ONLY — an in-process `TierDriver` that really runs component bundles, but in the test
 * process itself: ESM bundles are imported from a `data:` URL, IIFE bundles are evaluated as a
 * global script. It enforces the deadline only by abandoning the guest (a runaway loop would hang
 * the test run) and isolates nothing, so it must never be used outside tests. It lets the router
 * and ingress tests exercise real JIT output before the isolate and wasm tiers are wired in.
 */
import { KilnError, quote, sandboxKilled, SandboxTimeoutError } from "../../src/core/mod.ts";
import type { ExecuteResponse } from "../../src/models/mod.ts";
import type { ExecutionJob, TierDriver, TierName, TierStats } from "../../src/sandbox/mod.ts";

type Guest = (requestData: unknown, context: unknown) => unknown;

export class InlineTier implements TierDriver {
  readonly name: TierName;
  readonly accepts: TierDriver["accepts"];
  /** Set to make the tier report itself unavailable with this reason. */
  down: string | null = null;
  /** Every job this tier ran, newest last. */
  readonly jobs: ExecutionJob[] = [];
  #busy = 0;
  #kills: Record<string, number> = {};
  #loading: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(name: TierName = "isolate", accepts?: TierDriver["accepts"]) {
    this.name = name;
    this.accepts = accepts ?? { javascript: name === "wasm" ? "iife" : "esm" };
  }

  unavailableReason(): string | null {
    return this.#closed ? "the inline tier is closed" : this.down;
  }

  async execute(job: ExecutionJob): Promise<ExecuteResponse> {
    const down = this.unavailableReason();
    if (down) throw new KilnError("TIER_UNAVAILABLE", down, { tier: this.name });
    if (job.code.kind !== "javascript") {
      throw new KilnError("TIER_UNAVAILABLE", `the inline tier runs JavaScript only`);
    }
    this.jobs.push(job);
    this.#busy++;
    const started = performance.now();
    try {
      const fn = await this.#load(job);
      const outcome = await this.#withDeadline(job, async () => {
        try {
          const data = await fn(job.request.requestData, job.request.context);
          return { resultType: "generic" as const, data: data === undefined ? null : data };
        } catch (err) {
          const e = err as { code?: unknown; message?: unknown };
          return {
            resultType: "error" as const,
            data: {
              code: typeof e?.code === "string" ? e.code : "APPLICATION_ERROR",
              message: String(e?.message ?? err),
            },
          };
        }
      });
      const text = JSON.stringify(outcome.data);
      if (text.length > job.limits.maxOutputBytes) {
        this.#kill("output");
        throw sandboxKilled("output", `the result exceeds ${job.limits.maxOutputBytes} bytes`);
      }
      return {
        requestId: job.request.requestId,
        resultType: outcome.resultType,
        data: JSON.parse(text),
        metrics: {
          execution_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
          mcp_calls: [],
        },
      };
    } finally {
      this.#busy--;
    }
  }

  stats(): TierStats {
    return { live: 0, busy: this.#busy, queued: 0, kills: { ...this.#kills } };
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Evaluates the bundle with this execution's SDK globals (one evaluation at a time). */
  #load(job: ExecutionJob): Promise<Guest> {
    const g = globalThis as Record<string, unknown>;
    const { host, code } = job;
    if (code.kind !== "javascript") throw new Error("unreachable");
    const sdk = {
      mcp: {
        call: (tool: string, params?: unknown) =>
          host.callTool(tool, params ?? {}).catch((err) => {
            throw Object.assign(new Error(String(err?.message ?? err)), {
              code: err?.code ?? "INTERNAL",
            });
          }),
      },
      log: Object.fromEntries(
        (["debug", "info", "warn", "error"] as const).map((level) => [
          level,
          (message: string, fields?: Record<string, unknown>) =>
            host.log(level, String(message), fields, "sdk"),
        ]),
      ),
    };
    const loading = this.#loading.then(async () => {
      g.__kiln = sdk;
      try {
        let namespace: Record<string, unknown>;
        if (code.format === "esm") {
          const nonce = `\n// ${crypto.randomUUID()}\n`;
          const bytes = new TextEncoder().encode(code.source + nonce);
          namespace = await import(`data:text/javascript;base64,${toBase64(bytes)}`);
        } else {
          (0, eval)(code.source);
          namespace = g.__kilnModule as Record<string, unknown>;
          delete g.__kilnModule;
        }
        const fn = namespace?.[code.entry];
        if (typeof fn !== "function") {
          throw new KilnError("BAD_GATEWAY", `the bundle exports no function ${quote(code.entry)}`);
        }
        return fn as Guest;
      } finally {
        delete g.__kiln;
      }
    });
    this.#loading = loading.catch(() => {});
    return loading;
  }

  async #withDeadline<T>(job: ExecutionJob, run: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#kill("timeout");
        reject(new SandboxTimeoutError(`execution exceeded ${job.limits.timeoutMs} ms`));
      }, job.limits.timeoutMs);
      onAbort = () => reject(new SandboxTimeoutError("the caller went away"));
      job.signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([run(), stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) job.signal?.removeEventListener("abort", onAbort);
    }
  }

  #kill(reason: string): void {
    this.#kills[reason] = (this.#kills[reason] ?? 0) + 1;
  }
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
