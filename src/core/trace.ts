/**
 * The tracing seam every layer uses: spans through `@opentelemetry/api`, which Deno's built-in
 * OpenTelemetry (`OTEL_DENO=true`) records and exports over OTLP. Deno.serve already opens a SERVER
 * span per request (continuing an incoming `traceparent`), `fetch` a CLIENT span that sends one,
 * and `console.*` records carry the active span's ids; Kiln adds its own spans under those.
 *
 * With OTel off each helper costs one boolean test: `isTracing` is read once, at import, and the
 * API itself is not loaded (~10 ms of a start-up).
 */
import type { Attributes, Meter, Span, SpanKind as ApiSpanKind } from "@opentelemetry/api";

export type { Attributes, Meter, Span };

/** The API's `SpanKind` values (fixed by the OpenTelemetry specification), usable untraced. */
export const SpanKind = {
  INTERNAL: 0 as ApiSpanKind.INTERNAL,
  SERVER: 1 as ApiSpanKind.SERVER,
  CLIENT: 2 as ApiSpanKind.CLIENT,
  PRODUCER: 3 as ApiSpanKind.PRODUCER,
  CONSUMER: 4 as ApiSpanKind.CONSUMER,
} as const;
export type SpanKind = ApiSpanKind;

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Whether Deno exports telemetry; decided once per process. */
export const isTracing: boolean = readEnv("OTEL_DENO") === "true";

const otel = isTracing ? await import("@opentelemetry/api") : undefined;

/** The API; only called behind `isTracing`. */
function api(): typeof import("@opentelemetry/api") {
  if (otel) return otel;
  throw new Error("OpenTelemetry is used without OTEL_DENO=true");
}

const tracer = otel?.trace.getTracer("kiln");

/** How a span in `inSpan` starts. */
export interface SpanOptions {
  kind?: SpanKind;
  /** The parent, when it is not the active context (a span captured elsewhere). */
  parent?: Span;
}

/**
 * Runs `fn` inside a new span named `name`, the active span while it runs; an exception marks the
 * span failed (with the error's `code` when it has one) and is rethrown. Without tracing, `fn`
 * runs as is with no span.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
  opts: SpanOptions = {},
): Promise<T> {
  if (!tracer) return fn(undefined);
  const { context, trace } = api();
  const parent = opts.parent ? trace.setSpan(context.active(), opts.parent) : context.active();
  const span = tracer.startSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes }, parent);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` failed by `err` (a KilnError's code becomes `error.type`). */
export function failSpan(span: Span, err: unknown): void {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string") span.setAttribute("error.type", code);
  span.setStatus({
    code: api().SpanStatusCode.ERROR,
    message: String((err as Error)?.message ?? err),
  });
}

/** Marks `span` failed with `code` without an exception (an error result). */
export function failSpanWith(span: Span, code: string, message = code): void {
  span.setAttribute("error.type", code);
  span.setStatus({ code: api().SpanStatusCode.ERROR, message });
}

/** The active span (Deno's SERVER span in a request handler), when tracing. */
export function activeSpan(): Span | undefined {
  return otel?.trace.getActiveSpan();
}

/** Runs `fn` with `span` active, so what `fn` starts (spans, fetches, logs) hangs below it. */
export function withActiveSpan<T>(span: Span | undefined, fn: () => T): T {
  if (!span) return fn();
  const { context, trace } = api();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** The W3C trace headers of the active context, written into `headers` (no-op without tracing). */
export function injectTraceHeaders(headers: Record<string, string> | Headers): void {
  if (!otel) return;
  const carrier: Record<string, string> = {};
  otel.propagation.inject(otel.context.active(), carrier);
  for (const [k, v] of Object.entries(carrier)) {
    if (headers instanceof Headers) headers.set(k, v);
    else headers[k] = v;
  }
}

/** `traceparent` of `span` (W3C trace context, version 00). */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

/** The active span's ids for a log line, or undefined without tracing or a span. */
export function traceIds(): { trace_id: string; span_id: string } | undefined {
  const span = otel?.trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** Kiln's OTel meter (Deno exports what it records over OTLP); only meaningful when tracing. */
export function otelMeter(): Meter {
  return api().metrics.getMeter("kiln");
}
