import { injectTraceHeaders, KilnError, quote } from "../core/mod.ts";
import { backoffDelay, isRetryableStatus, retryAfterMs, type RetryPolicy } from "./retry_policy.ts";
import { type LlmTimers, sleep } from "./timers.ts";

/** Told before each retry, for logs and tests. */
export type RetryListener = (
  info: { attempt: number; status: number | null; delayMs: number },
) => void;

/** One JSON POST to a provider, with its timeout and retry rules. */
export interface HttpCall {
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  retry: RetryPolicy;
  timers: LlmTimers;
  random?: () => number;
  onRetry?: RetryListener;
  signal?: AbortSignal;
}

/**
 * A successful answer whose body is still to be read. The timeout keeps running while it is
 * read; `touch()` restarts it (streams call it per chunk, so it bounds idle time), `done()`
 * stops it.
 */
export interface OpenResponse {
  response: Response;
  signal: AbortSignal;
  touch(): void;
  done(): void;
}

class Timeout extends Error {}

/**
 * POSTs `call.body` and answers the first 2xx response. Retries network failures and retryable
 * statuses (429, 5xx) with exponential backoff and jitter, honouring `retry-after`; a timeout,
 * a client error or the last failure become a KilnError whose message quotes the provider.
 */
export async function postJson(call: HttpCall): Promise<OpenResponse> {
  for (let attempt = 0;; attempt++) {
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(call.signal!.reason);
    call.signal?.addEventListener("abort", onAbort, { once: true });
    let timer: unknown;
    const arm = () => {
      call.timers.clearTimeout(timer);
      timer = call.timers.setTimeout(() => ctrl.abort(new Timeout()), call.timeoutMs);
    };
    const stop = () => {
      call.timers.clearTimeout(timer);
      call.signal?.removeEventListener("abort", onAbort);
    };
    arm();
    let status: number | null = null;
    let wait: number | null = null;
    try {
      const headers: Record<string, string> = {
        "content-type": "application/json",
        ...call.headers,
      };
      // W3C trace context of the LLM call's span, so a provider (or proxy) joins the trace.
      injectTraceHeaders(headers);
      const response = await fetch(call.url, {
        method: "POST",
        headers,
        body: JSON.stringify(call.body),
        signal: ctrl.signal,
      });
      if (response.ok) return { response, signal: ctrl.signal, touch: arm, done: stop };
      status = response.status;
      const text = await response.text();
      stop();
      if (!isRetryableStatus(status) || attempt >= call.retry.maxRetries) {
        throw statusError(call.provider, status, text, attempt + 1);
      }
      wait = retryAfterMs(response.headers, call.timers.now());
      if (wait !== null && wait > call.retry.maxRetryAfterMs) {
        throw statusError(call.provider, status, text, attempt + 1, wait);
      }
    } catch (err) {
      stop();
      if (err instanceof KilnError) throw err;
      const aborted = abortReason(err, call.signal);
      if (aborted !== null) throw abortError(call.provider, call.timeoutMs, aborted);
      if (attempt >= call.retry.maxRetries) {
        throw new KilnError(
          "LLM_PROVIDER_ERROR",
          `cannot reach provider ${quote(call.provider)} at ${quote(call.url)}: ${String(err)}`,
          { provider: call.provider, attempts: attempt + 1 },
        );
      }
    }
    const delayMs = wait ?? backoffDelay(call.retry, attempt, call.random);
    call.onRetry?.({ attempt: attempt + 1, status, delayMs });
    await sleep(call.timers, delayMs, call.signal);
  }
}

/** The error for a fetch that threw: a timeout, the caller's abort, or a network failure. */
export function abortError(provider: string, timeoutMs: number, reason: unknown): KilnError {
  if (reason instanceof Timeout) {
    return new KilnError(
      "LLM_TIMEOUT",
      `provider ${quote(provider)} did not answer within ${timeoutMs} ms`,
      { provider, timeoutMs },
    );
  }
  if (reason instanceof KilnError) return reason;
  return new KilnError("LLM_PROVIDER_ERROR", `the call to ${quote(provider)} was cancelled`, {
    provider,
    reason: String(reason),
  });
}

/** Why a fetch or body read threw when it was aborted (timeout or caller), else null. */
export function abortReason(err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (err instanceof Timeout) return err;
  if (err instanceof DOMException && err.name === "AbortError") return err.cause ?? new Timeout();
  return null;
}

/** The message a provider put in its error body (`{error: {message}}` in both wire formats). */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text);
    const message = body?.error?.message ?? body?.message ?? body?.error;
    if (typeof message === "string") return message;
  } catch { /* not JSON: use the text */ }
  return text;
}

function statusError(
  provider: string,
  status: number,
  text: string,
  attempts: number,
  retryAfterMs?: number,
): KilnError {
  const message = errorMessage(text);
  const details = { provider, status, attempts, body: text.slice(0, 2000), retryAfterMs };
  if (status === 429) {
    return new KilnError(
      "LLM_RATE_LIMITED",
      `provider ${quote(provider)} is rate limiting (429) after ${attempts} attempt(s): ${
        quote(message)
      }`,
      details,
    );
  }
  return new KilnError(
    "LLM_PROVIDER_ERROR",
    `provider ${quote(provider)} answered ${status}: ${quote(message)}`,
    details,
  );
}

/** The error for a body read that threw: a timeout or abort, else a broken connection. */
export function bodyError(call: HttpCall, err: unknown): KilnError {
  if (err instanceof KilnError) return err;
  const reason = abortReason(err, call.signal);
  if (reason !== null) return abortError(call.provider, call.timeoutMs, reason);
  return new KilnError(
    "LLM_PROVIDER_ERROR",
    `the answer of provider ${quote(call.provider)} broke off: ${String(err)}`,
    { provider: call.provider },
  );
}
