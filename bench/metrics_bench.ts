/**
 * Metric collector: the hot path (`add`, `observe`) must stay around 2 µs per call,
 * and a chart query over a day of stored minutes must stay interactive.
 *
 *   deno bench -A bench/metrics_bench.ts
 */
import { MetricCollector } from "../src/metrics/mod.ts";

const dir = Deno.makeTempDirSync({ prefix: "kiln-metrics-bench-" });
const hot = MetricCollector.open({ path: `${dir}/hot.db`, flushIntervalMs: 0 });
const labels = {
  appId: "shop",
  componentId: "getUser",
  handlerType: "jit",
  tier: "isolate",
  outcome: "ok",
};
let i = 0;

Deno.bench("add (sum, 5 labels)", { group: "hot path", baseline: true }, () => {
  hot.add("kiln.invocations", 1, labels);
});

Deno.bench("observe (histogram, 5 labels)", { group: "hot path" }, () => {
  hot.observe("kiln.invocation.duration_ms", (i++ % 5000) / 10, labels);
});

Deno.bench("observe, 100 rotating series", { group: "hot path" }, () => {
  const n = i++ % 100;
  hot.observe("kiln.mcp.call.duration_ms", n, {
    appId: `app${n}`,
    tool: "core.state.getRuntimeValue",
  });
});

// A day of minutes for 10 components, flushed, queried per 5 minutes and summarised.
let t = Date.UTC(2026, 11, 1);
const clock = { now: () => t };
const stored = MetricCollector.open({ path: `${dir}/stored.db`, clock, flushIntervalMs: 0 });
const from = t;
for (let minute = 0; minute < 24 * 60; minute++) {
  for (let c = 0; c < 10; c++) {
    const l = { ...labels, componentId: `c${c}` };
    stored.add("kiln.invocations", 1, l);
    stored.observe("kiln.invocation.duration_ms", 5 + (minute % 50), l);
  }
  t += 60_000;
  if (minute % 60 === 0) stored.flush();
}
stored.flush();

Deno.bench("query 24 h × 10 series, 5-min steps", { group: "query" }, () => {
  stored.query({
    name: "kiln.invocation.duration_ms",
    appId: "shop",
    from,
    to: t,
    stepMs: 300_000,
  });
});

Deno.bench("summary 24 h, one component", { group: "query" }, () => {
  stored.summary({
    name: "kiln.invocation.duration_ms",
    appId: "shop",
    componentId: "c3",
    from,
    to: t,
  });
});

Deno.bench("prometheus render (100+ series)", { group: "query" }, () => {
  hot.prometheus();
});

globalThis.addEventListener("unload", () => {
  hot.close();
  stored.close();
  Deno.removeSync(dir, { recursive: true });
});
