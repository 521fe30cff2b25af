import type uPlot from "uplot";
import { useLayoutEffect, useRef } from "preact/hooks";
import { html } from "./html.ts";

const COLORS = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#4b5563",
  "#ca8a04",
];

export interface Series {
  label: string;
  /** One value per x (null where the series has no point). */
  values: (number | null)[];
}

/**
 * A time-series chart (uPlot, canvas). The figure carries a text summary (`aria-label` and a
 * caption) so the numbers are there for screen readers and tests, not only as pixels.
 */
export function Chart(
  { title, xs, series, unit = "", height = 220, total = false, uPlot: UPlot }: {
    title: string;
    /** The uPlot class (`loadUplot()`); the page waits for it, so charts draw before its mark. */
    uPlot: typeof uPlot;
    /** Caption with each series' total (counts, tokens, cost) rather than its average. */
    total?: boolean;
    xs: number[];
    series: Series[];
    unit?: string;
    height?: number;
  },
) {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el || xs.length === 0 || series.length === 0) return;
    const width = Math.max(280, el.clientWidth || 480);
    const plot = new UPlot(
      {
        width,
        height,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            spanGaps: true,
            // Sparse series (a few busy minutes) must still show: draw the points too.
            points: { show: true, size: 5 },
            value: (_u: uPlot, v: number | null) => (v === null ? "—" : `${round(v)}${unit}`),
          })),
        ],
        axes: [{}, {
          size: 64,
          values: (_u: uPlot, vals: number[]) => vals.map((v) => `${round(v)}${unit}`),
        }],
        scales: { x: { time: true } },
        cursor: { drag: { x: true, y: false } },
      },
      [xs.map((x) => x / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [xs, series, unit, height, UPlot]);
  const totals = series.map((s) => {
    const vals = s.values.filter((v): v is number => v !== null);
    const sum = vals.reduce((a, b) => a + b, 0);
    if (!vals.length) return `${s.label}: —`;
    return total
      ? `${s.label}: ${round(sum)}${unit} total`
      : `${s.label}: ${round(sum / vals.length)}${unit} avg`;
  }).join("; ");
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  return html`<figure class="chart" aria-label=${`${title}. ${totals}`} data-points=${points}>
    <figcaption><strong>${title}</strong> <span class="muted small">${
    points ? totals : "no data in this range"
  }</span></figcaption>
    ${
    points === 0
      ? html`<p class="empty">No data in this range.</p>`
      : html`<div ref=${box} class="plot"></div>`
  }
  </figure>`;
}

function round(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}
