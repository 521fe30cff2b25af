import { api, ApiError, qs } from "../api.ts";
import { Chart, type Series } from "../chart.ts";
import { loadUplot, useLazy } from "../lazy.ts";
import { AppPicker, ErrorBox, Loading, PageHead, useLoad, useLoadedMark } from "../common.ts";
import { html } from "../html.ts";
import { setQuery } from "../router.ts";

const RANGES: Record<string, number> = {
  "1h": 3600_000,
  "6h": 6 * 3600_000,
  "24h": 24 * 3600_000,
  "7d": 7 * 86400_000,
};

interface Point {
  t: number;
  count: number;
  sum: number;
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  last: number | null;
}
interface QueryResult {
  name: string;
  series: { labels: Record<string, string>; points: Point[] }[];
}

/**
 * The metric query API (`GET /v1/metrics/query`, per the metrics contract). `groupBy` is always
 * sent: an empty one merges every matching series into one (percentiles over the merged
 * histogram); leaving it out would answer one series per distinct label set.
 */
function query(
  name: string,
  appId: string,
  componentId: string,
  from: number,
  to: number,
  stepMs: number,
  groupBy: string[],
) {
  const q = qs({ name, appId, componentId, from, to, stepMs });
  return api<QueryResult>(
    "GET",
    `/v1/metrics/query${q}&groupBy=${encodeURIComponent(groupBy.join(","))}`,
  );
}

/** Aligns series to one time axis; `pick` chooses the value of a point. */
function align(
  results: { label: string; points: Point[] }[],
  pick: (p: Point) => number | null,
): { xs: number[]; series: Series[] } {
  const xs = [...new Set(results.flatMap((r) => r.points.map((p) => p.t)))].sort((a, b) => a - b);
  return {
    xs,
    series: results.map((r) => {
      const by = new Map(r.points.map((p) => [p.t, pick(p)]));
      return { label: r.label, values: xs.map((x) => by.get(x) ?? null) };
    }),
  };
}

const labelOf = (labels: Record<string, string>, keys: string[]) =>
  keys.map((k) => labels[k] ?? "—").join(" · ") || "all";

/**
 * Metrics per app and component over time: invocations, latency percentiles, error rate, LLM
 * tokens and cost, and LLM against JIT side by side (who served, and how fast).
 */
export function MetricsPage({ query: q }: { query: URLSearchParams }) {
  const appId = q.get("app") ?? "";
  const componentId = q.get("component") ?? "";
  const range = q.get("range") ?? "1h";
  const apps = useLoad(() => api("GET", "/v1/apps"), []);
  const data = useLoad(async () => {
    const to = Date.now();
    const from = to - (RANGES[range] ?? 3600_000);
    const stepMs = Math.max(60_000, Math.round((to - from) / 120 / 60_000) * 60_000);
    const app = appId || undefined;
    const by = componentId ? [] : ["componentId"];
    // A metric nothing has recorded yet may be unknown to the collector: an empty chart, not a failure.
    const call = (name: string, groupBy: string[]) =>
      query(name, app ?? "", componentId, from, to, stepMs, groupBy).catch((err) =>
        err instanceof ApiError && err.status === 404 && err.code !== "NOT_FOUND"
          ? { name, series: [] }
          : Promise.reject(err)
      );
    const [inv, outcome, dur, tokens, cost, served, byHandler, catalogue] = await Promise.all([
      call("kiln.invocations", by),
      call("kiln.invocations", ["outcome"]),
      call("kiln.invocation.duration_ms", []),
      call("kiln.llm.tokens", ["kind"]),
      call("kiln.llm.cost_usd", by),
      call("kiln.jit.served", ["servedBy"]),
      call("kiln.invocation.duration_ms", ["handlerType"]),
      api<{ metrics: { name: string; kind: string; description: string }[] }>("GET", "/v1/metrics"),
    ]);
    return {
      ...{ inv, outcome, dur, tokens, cost, served, byHandler, catalogue, by },
      ...{ appId, componentId, from, to, stepMs },
    };
  }, [appId, componentId, range]);
  const uPlot = useLazy(loadUplot);
  useLoadedMark("metrics", !apps.loading && !data.loading && uPlot !== undefined);
  const d = data.data;
  const details = useLoad(
    () => (appId ? api("GET", `/v1/apps/${encodeURIComponent(appId)}`) : Promise.resolve(null)),
    [appId],
  );
  const charts = d && (() => {
    const invocations = align(
      d.inv.series.map((s) => ({ label: labelOf(s.labels, d.by), points: s.points })),
      (p) => p.sum,
    );
    // Percentiles: one series per quantile, from the one merged (groupBy nothing) series.
    const durPoints = d.dur.series[0]?.points ?? [];
    const lxs = durPoints.map((p) => p.t);
    const latencySeries: Series[] = (["p50", "p95", "p99"] as const).map((k) => ({
      label: k,
      values: durPoints.map((p) => p[k]),
    }));
    const totals = new Map<number, number>();
    const errors = new Map<number, number>();
    for (const s of d.outcome.series) {
      for (const p of s.points) {
        totals.set(p.t, (totals.get(p.t) ?? 0) + p.sum);
        if (s.labels.outcome && s.labels.outcome !== "ok") {
          errors.set(p.t, (errors.get(p.t) ?? 0) + p.sum);
        }
      }
    }
    const exs = [...totals.keys()].sort((a, b) => a - b);
    const errorRate: Series[] = [{
      label: "errors",
      values: exs.map((
        t,
      ) => (totals.get(t) ? ((errors.get(t) ?? 0) / totals.get(t)!) * 100 : null)),
    }];
    const tokens = align(
      d.tokens.series.map((s) => ({ label: s.labels.kind ?? "tokens", points: s.points })),
      (p) => p.sum,
    );
    const cost = align(
      d.cost.series.map((s) => ({ label: labelOf(s.labels, d.by), points: s.points })),
      (p) => p.sum,
    );
    const served = align(
      d.served.series.map((s) => ({ label: s.labels.servedBy ?? "?", points: s.points })),
      (p) => p.sum,
    );
    const handler = align(
      d.byHandler.series.map((s) => ({
        label: `${s.labels.handlerType ?? "?"} p95`,
        points: s.points,
      })),
      (p) => p.p95,
    );
    return { invocations, lxs, latencySeries, exs, errorRate, tokens, cost, served, handler };
  })();
  return html`
    <${PageHead} title="Metrics" />
    <div class="row">
      <${AppPicker} apps=${apps.data?.apps ?? []} value=${appId}
        onChange=${(v: string) => (setQuery("component", null), setQuery("app", v))} />
      ${details.data && html`<label class="inline" for="metrics-component">Component
        <select id="metrics-component" value=${componentId} onChange=${(e: Event) =>
        setQuery("component", (e.target as HTMLSelectElement).value)}>
          <option value="">all</option>
          ${
        // deno-lint-ignore no-explicit-any -- component summaries
        details.data.components.map((c: any) => html`<option>${c.componentId}</option>`)}
        </select></label>`}
      <label class="inline" for="metrics-range">Range
        <select id="metrics-range" value=${range} onChange=${(e: Event) =>
          setQuery("range", (e.target as HTMLSelectElement).value)}>
          ${Object.keys(RANGES).map((r) => html`<option>${r}</option>`)}
        </select></label>
      <button type="button" class="secondary" onClick=${data.reload}>Refresh</button>
    </div>
    ${!appId && html`<p class="muted">All apps; choose one to narrow the charts.</p>`}
    <${ErrorBox} error=${data.error} title="Could not query metrics" />
    ${data.loading && !d && html`<${Loading} what="metrics" />`}
    ${charts && uPlot && html`
      <div class="charts" data-app=${d!.appId} data-component=${d!.componentId}
        data-from=${d!.from} data-to=${d!.to} data-step=${d!.stepMs}>
        <${Chart} uPlot=${uPlot} title="Invocations per minute" total=${true} xs=${charts
          .invocations
          .xs}
          series=${charts
            .invocations.series} />
        <${Chart} uPlot=${uPlot} title="Latency percentiles" xs=${charts.lxs} series=${charts
          .latencySeries}
          unit=" ms" />
        <${Chart} uPlot=${uPlot} title="Error rate" xs=${charts.exs} series=${charts
          .errorRate} unit="%" />
        <${Chart} uPlot=${uPlot} title="LLM tokens" total=${true} xs=${charts.tokens.xs}
          series=${charts.tokens
            .series} />
        <${Chart} uPlot=${uPlot} title="LLM cost" total=${true} xs=${charts.cost.xs}
          series=${charts.cost
            .series} unit=" $" />
      </div>
      <h2>LLM vs JIT</h2>
      <div class="charts">
        <${Chart} uPlot=${uPlot} title="Served by (jit, llm, llm fallback)" total=${true}
          xs=${charts.served.xs}
          series=${charts
            .served.series} />
        <${Chart} uPlot=${uPlot} title="Latency p95 by handler type" xs=${charts.handler.xs}
          series=${charts
            .handler.series} unit=" ms" />
      </div>
      <details>
        <summary>Metric catalogue (${d!.catalogue.metrics.length})</summary>
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>${d!.catalogue.metrics.map((m) =>
            html`
              <tr>
                <th scope="row"><code>${m.name}</code></th>
                <td>${m.kind}</td>
                <td class="wrap">${m.description}</td>
              </tr>
            `
          )}</tbody>
        </table>
      </details>
    `}
  `;
}
