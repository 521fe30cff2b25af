import { VERSION } from "../core/mod.ts";
import { nodeProcess } from "../core/node/mod.ts";
import { escapeHelp, labelSet, num } from "./_prometheus.ts";

/** Wall-clock start of this process, in seconds since the epoch. */
const START_SECONDS = performance.timeOrigin / 1000;

/** What the process metrics read; tests and non-Linux hosts pass their own. */
export interface ProcessProbe {
  rssBytes(): number;
  cpuSeconds(): number;
  /** Open file descriptors, or undefined where the host cannot count them. */
  openFds(): number | undefined;
  startSeconds(): number;
}

/** The running process: RSS and CPU from the runtime, fds from `/proc/self/fd` (Linux). */
export const systemProbe: ProcessProbe = {
  rssBytes: () => Deno.memoryUsage().rss,
  cpuSeconds: () => {
    const { user, system } = nodeProcess().cpuUsage();
    return (user + system) / 1e6;
  },
  openFds: () => {
    try {
      let n = 0;
      for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
      // The directory handle being read is one of the entries.
      return n - 1;
    } catch {
      return undefined;
    }
  },
  startSeconds: () => START_SECONDS,
};

/**
 * `kiln_build_info` and the standard `process_*` metrics (the names every Prometheus client
 * library exports), read at scrape time. In a cluster each sample carries the node's id.
 */
export function renderProcessMetrics(node?: string, probe: ProcessProbe = systemProbe): string {
  const lines: string[] = [];
  const one = (name: string, type: string, help: string, value: number, labels = "") =>
    lines.push(
      `# HELP ${name} ${escapeHelp(help)}`,
      `# TYPE ${name} ${type}`,
      `${name}${labels} ${num(value)}`,
    );
  const at = labelSet([], node);
  one(
    "kiln_build_info",
    "gauge",
    "Kiln build: always 1, the versions are labels",
    1,
    labelSet([["version", VERSION], ["deno_version", Deno.version.deno]], node),
  );
  one(
    "process_cpu_seconds_total",
    "counter",
    "User and system CPU time spent, in seconds",
    probe.cpuSeconds(),
    at,
  );
  const fds = probe.openFds();
  if (fds !== undefined) one("process_open_fds", "gauge", "Open file descriptors", fds, at);
  one(
    "process_resident_memory_bytes",
    "gauge",
    "Resident memory size, in bytes",
    probe.rssBytes(),
    at,
  );
  one(
    "process_start_time_seconds",
    "gauge",
    "Start time of the process since the Unix epoch, in seconds",
    probe.startSeconds(),
    at,
  );
  return `${lines.join("\n")}\n`;
}
