import { runGroup, type Subcommand } from "./_command.ts";
import { type Io, table } from "./_output.ts";

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

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  status: {
    args: "",
    summary: "Every node: status (up | suspect | gone), apps, runs, apps it cannot load",
    async run({ api, print }) {
      const status = await api("GET", "/v1/cluster") as ClusterStatus;
      print(status, () =>
        table(
          ["NODE", "STATUS", "URL", "APPS", "RUNS", "LAST SEEN", "CANNOT LOAD"],
          status.nodes.map((n) => [
            n.nodeId + (n.nodeId === status.nodeId ? "*" : ""),
            n.status,
            n.url,
            String(n.apps),
            String(n.runs),
            n.lastSeenAt,
            n.failedApps.map((f) => f.appId).join(",") || "-",
          ]),
        ));
      return 0;
    },
  },
};

/** `kiln cluster status`: `GET /v1/cluster` as a table (the answering node is starred). */
export function clusterCommand(args: string[], io: Io): Promise<number> {
  return runGroup(
    "cluster",
    "The nodes of the cluster the Kiln at --url belongs to.",
    SUBCOMMANDS,
    args,
    io,
  );
}
