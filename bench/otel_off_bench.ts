/**
 * What the OpenTelemetry hooks cost with OTel off (`deno bench bench/otel_off_bench.ts`, without
 * `OTEL_DENO`): each hook on the request path against the same work without it. Ingress takes
 * `activeSpan()` once, the router, sandbox manager and tool registry one `inSpan` each, a guest's
 * tool call one `withActiveSpan`, every log line one `traceIds()`.
 */
import { activeSpan, inSpan, isTracing, withActiveSpan } from "../src/core/mod.ts";
import { Logger } from "../src/core/mod.ts";

if (isTracing) throw new Error("run without OTEL_DENO=true: this measures the hooks when off");

const work = () => Promise.resolve(1);
const plain = new Logger({ service: "kiln" }, "info", () => {});

Deno.bench("baseline: await a resolved promise", { group: "span", baseline: true }, async () => {
  await work();
});
Deno.bench("inSpan(off) around it", { group: "span" }, async () => {
  await inSpan("kiln.route", { "kiln.app_id": "a" }, () => work());
});
Deno.bench("withActiveSpan(undefined) around it", { group: "span" }, async () => {
  await withActiveSpan(undefined, () => work());
});
Deno.bench("activeSpan() (off)", { group: "lookup" }, () => {
  activeSpan();
});
Deno.bench("a log line (no-op sink; includes traceIds())", { group: "log" }, () => {
  plain.info("invocation", { appId: "a", componentId: "c", status: 200 });
});
