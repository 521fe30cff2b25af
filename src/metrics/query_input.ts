import { KilnError, quote } from "../core/mod.ts";
import { LABEL_KEYS, type MetricLabels, type MetricQuery } from "./types.ts";

/** A query as the HTTP API and the MCP tool take it: the range defaults to the last hour. */
export interface QueryInput {
  name: string;
  appId?: string;
  componentId?: string;
  from?: number;
  to?: number;
  stepMs?: number;
  groupBy?: readonly string[];
  labels?: Partial<Record<string, string>>;
}

const DEFAULT_WINDOW = 3_600_000;
const KEYS: ReadonlySet<string> = new Set(LABEL_KEYS);

/** Whether `key` is a label key. */
export function isLabelKey(key: string): key is keyof MetricLabels {
  return KEYS.has(key);
}

/**
 * Turns API input into a collector query: fills the default window (`to` = now, `from` = an
 * hour before `to`) and refuses unknown label keys with BAD_REQUEST, naming them.
 */
export function resolveQuery(input: QueryInput, now: number): MetricQuery {
  const to = input.to ?? now;
  const from = input.from ?? to - DEFAULT_WINDOW;
  const groupBy = input.groupBy?.map((k) => {
    if (!isLabelKey(k)) {
      throw new KilnError(
        "BAD_REQUEST",
        `cannot group by ${quote(k)}: labels are ${LABEL_KEYS.join(", ")}`,
      );
    }
    return k;
  });
  const labels: MetricLabels = {};
  for (const [k, v] of Object.entries(input.labels ?? {})) {
    if (v === undefined) continue;
    if (!isLabelKey(k)) throw new KilnError("BAD_REQUEST", `unknown label ${quote(k)}`);
    labels[k] = v;
  }
  return {
    name: input.name,
    from,
    to,
    ...(input.appId !== undefined ? { appId: input.appId } : {}),
    ...(input.componentId !== undefined ? { componentId: input.componentId } : {}),
    ...(input.stepMs !== undefined ? { stepMs: input.stepMs } : {}),
    ...(groupBy ? { groupBy } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
  };
}
