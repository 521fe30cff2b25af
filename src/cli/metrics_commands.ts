import { runGroup, type Subcommand } from "./_command.ts";
import { CliError, EXIT, type Io, table } from "./_output.ts";

interface Result {
  name: string;
  kind: string;
  series: { labels: Record<string, string>; points: Record<string, number | null>[] }[];
}

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };

/** `1h`, `30m`, `7d` → milliseconds; a bare number is epoch milliseconds (for --from/--to). */
function since(text: string, flag: string, now: number): string {
  const m = DURATION.exec(text);
  if (m) return String(now - Number(m[1]) * UNIT_MS[m[2]]);
  if (/^\d{1,16}$/.test(text)) return text;
  throw new CliError(`${flag} takes a duration (30m, 1h, 7d) or epoch ms, got "${text}"`, 2);
}

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  list: {
    args: "",
    summary: "The metric catalogue",
    async run({ api, print }) {
      const { metrics } = await api("GET", "/v1/metrics") as {
        metrics: { name: string; kind: string; description: string }[];
      };
      print(
        metrics,
        () =>
          table(
            ["NAME", "KIND", "DESCRIPTION"],
            metrics.map((m) => [m.name, m.kind, m.description]),
          ),
      );
      return 0;
    },
  },
  query: {
    args: "NAME",
    summary: "A range query: one series per --group-by labels, points per step",
    options: {
      app: { type: "string", help: "Only this app (required with an app key)" },
      component: { type: "string", help: "Only this component" },
      since: { type: "string", help: "Start, as a duration back from now (default 1h)" },
      step: { type: "string", help: "Step between points, e.g. 5m (at least 1m)" },
      "group-by": { type: "string", help: "Comma-separated label keys" },
      label: { type: "string", multiple: true, help: "A label filter KEY=VALUE" },
    },
    async run({ args: [name], opts, api, print }) {
      const now = Date.now();
      const s = new URLSearchParams({
        name,
        from: since(String(opts.since ?? "1h"), "--since", now),
      });
      s.set("to", String(now));
      if (opts.app) s.set("appId", String(opts.app));
      if (opts.component) s.set("componentId", String(opts.component));
      if (opts["group-by"]) s.set("groupBy", String(opts["group-by"]));
      if (opts.step) {
        const m = DURATION.exec(String(opts.step));
        if (!m) {
          throw new CliError(`--step takes a duration (5m, 1h), got "${opts.step}"`, EXIT.USAGE);
        }
        s.set("stepMs", String(Number(m[1]) * UNIT_MS[m[2]]));
      }
      for (const pair of (opts.label as string[] | undefined) ?? []) {
        const eq = pair.indexOf("=");
        if (eq < 1) throw new CliError(`--label takes KEY=VALUE, got "${pair}"`, EXIT.USAGE);
        s.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const r = await api("GET", `/v1/metrics/query?${s}`) as Result;
      print(r, () => render(r));
      return 0;
    },
  },
};

/** One row per series: its labels and a summary of its non-empty points. */
function render(r: Result): string {
  if (r.series.length === 0) return `${r.name}: no data in this range`;
  const rows = r.series.map((series) => {
    const labels = Object.entries(series.labels).map(([k, v]) => `${k}=${v}`).join(",") || "-";
    const last = [...series.points].reverse().find((p) => (p.count ?? 0) > 0);
    const value = last
      ? Object.entries(last).filter(([k, v]) => k !== "t" && v !== null)
        .map(([k, v]) => `${k}=${Number(v).toFixed(2).replace(/\.?0+$/, "")}`).join(" ")
      : "-";
    const total = series.points.reduce((n, p) => n + (p.count ?? 0), 0);
    return [labels, String(total), value];
  });
  return `${r.name} (${r.kind})\n${table(["LABELS", "COUNT", "LATEST POINT"], rows)}`;
}

/** `kiln metrics …`: the metric catalogue and range queries. */
export function metricsCommand(args: string[], io: Io): Promise<number> {
  return runGroup(
    "metrics",
    "Kiln's metrics: the catalogue and range queries.",
    SUBCOMMANDS,
    args,
    io,
  );
}
