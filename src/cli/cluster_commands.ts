import { parseArgs } from "node:util";
import { callApi, DEFAULT_URL } from "./_client.ts";
import { CliError, type Io } from "./_output.ts";

export const CLUSTER_HELP = `Usage: kiln cluster status [options]

Prints the nodes of the cluster the Kiln at --url belongs to: status (up | suspect | gone),
apps served, workflow runs driven, and apps a node cannot load.

Options:
  --url URL      Kiln's address (default $KILN_URL or ${DEFAULT_URL})
  --token TOKEN  Admin token (default $KILN_ADMIN_TOKEN)
  --json         Print raw JSON
  -h, --help     Show this help`;

interface ClusterStatus {
  nodeId: string;
  nodes: {
    nodeId: string;
    url: string;
    status: string;
    lastSeenAt: string;
    apps: number;
    runs: number;
    failedApps: { appId: string; reason: string }[];
  }[];
}

/** `kiln cluster status`: `GET /v1/cluster` as a table. */
export async function clusterCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    io.out(CLUSTER_HELP);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== "status" || positionals.length > 1) {
    throw new CliError(`unknown cluster command "${positionals.join(" ")}"`, 2);
  }
  const status = await callApi(
    {
      url: values.url ?? Deno.env.get("KILN_URL") ?? DEFAULT_URL,
      token: values.token ?? Deno.env.get("KILN_ADMIN_TOKEN"),
    },
    "GET",
    "/v1/cluster",
  ) as ClusterStatus;
  if (values.json) {
    io.out(JSON.stringify(status, null, 2));
    return 0;
  }
  const rows = [["NODE", "STATUS", "URL", "APPS", "RUNS", "LAST SEEN", "CANNOT LOAD"]];
  for (const n of status.nodes) {
    const mark = n.nodeId === status.nodeId ? "*" : "";
    const failed = n.failedApps.map((f) => f.appId).join(",") || "-";
    rows.push([
      n.nodeId + mark,
      n.status,
      n.url,
      String(n.apps),
      String(n.runs),
      n.lastSeenAt,
      failed,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) io.out(r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  return 0;
}
