import { appPath, failure, request } from "./_client.ts";
import { jsonArg, runGroup, type Subcommand } from "./_command.ts";
import { CliError, EXIT, fields, type Io, table } from "./_output.ts";
import { readEvents } from "./_sse.ts";

interface Run {
  runId: string;
  workflowId: string;
  status: string;
  createdAt?: number;
  endedAt?: number;
  error?: { code: string; message: string };
  [k: string]: unknown;
}
interface RunEvent {
  type: "step" | "run" | "step.delta";
  runId: string;
  status: string;
  stepId?: string;
  attempt?: number;
  at?: number;
  error?: { code: string; message: string };
}

const runPath = (appId: string, runId: string, suffix = "") =>
  appPath(appId, `/runs/${encodeURIComponent(runId)}${suffix}`);

/** An epoch-ms timestamp as ISO 8601, `-` when absent. */
const iso = (ms?: number) => typeof ms === "number" ? new Date(ms).toISOString() : "-";

/** A finished run's exit code: succeeded is 0, failed or cancelled is 1. */
const runExit = (status: string) => status === "succeeded" || status === "running" ? 0 : 1;

/** The subcommands, their arguments and options (also read by `kiln completions`). */
export const SUBCOMMANDS: Record<string, Subcommand> = {
  start: {
    args: "APP WORKFLOW",
    summary: "Start a workflow run; --watch follows it to the end",
    options: {
      input: { type: "string", help: "The run's trigger.body, as JSON" },
      "idempotency-key": { type: "string", help: "The same key answers the run it started" },
      watch: { type: "boolean", help: "Stream the run's steps until it ends" },
    },
    async run(ctx) {
      const [appId, workflowId] = ctx.args;
      const { opts, api, print } = ctx;
      const body = {
        ...(opts.input === undefined ? {} : { input: jsonArg(String(opts.input), "--input") }),
        ...(opts["idempotency-key"] ? { idempotencyKey: opts["idempotency-key"] } : {}),
      };
      const run = await api(
        "POST",
        appPath(appId, `/workflows/${encodeURIComponent(workflowId)}/runs`),
        body,
      ) as Run;
      if (!opts.watch) {
        print(run, () => `started run ${run.runId}; kiln runs watch ${appId} ${run.runId}`);
        return 0;
      }
      if (!ctx.json) ctx.io.out(`started run ${run.runId}`);
      return await watch(ctx.io, ctx.json, await ctx.remote(), appId, run.runId);
    },
  },
  list: {
    args: "APP",
    summary: "The app's runs, newest first",
    options: {
      workflow: { type: "string", help: "Only runs of this workflow" },
      status: { type: "string", help: "running | succeeded | failed | cancelled" },
      limit: { type: "string", help: "At most this many (1-1000)" },
    },
    async run({ args: [appId], opts, api, print }) {
      const s = new URLSearchParams();
      if (opts.workflow) s.set("workflowId", String(opts.workflow));
      if (opts.status) s.set("status", String(opts.status));
      if (opts.limit) s.set("limit", String(opts.limit));
      const query = s.size ? `?${s}` : "";
      const { runs } = await api("GET", appPath(appId, `/runs${query}`)) as { runs: Run[] };
      print(runs, () =>
        runs.length === 0 ? `${appId} has no runs` : table(
          ["RUN", "WORKFLOW", "STATUS", "STARTED", "ENDED"],
          runs.map((r) => [r.runId, r.workflowId, r.status, iso(r.createdAt), iso(r.endedAt)]),
        ));
      return 0;
    },
  },
  show: {
    args: "APP RUN",
    summary: "A run with its step trace and result",
    async run({ args: [appId, runId], api, print }) {
      const run = await api("GET", runPath(appId, runId)) as Run;
      print(run, () => fields(run));
      return 0;
    },
  },
  watch: {
    args: "APP RUN",
    summary: "Stream a run's steps until it ends (exit 1 if it fails or is cancelled)",
    async run({ args: [appId, runId], io, json, remote }) {
      return await watch(io, json, await remote(), appId, runId);
    },
  },
  cancel: {
    args: "APP RUN",
    summary: "Cancel a running run",
    async run({ args: [appId, runId], api, print }) {
      const run = await api("POST", runPath(appId, runId, "/cancel")) as Run;
      print(run, () => `${run.runId}: ${run.status}`);
      return 0;
    },
  },
};

/**
 * Follows `/runs/{id}/events`: one line per step (NDJSON with --json) until the `run` event.
 */
async function watch(
  io: Io,
  json: boolean,
  remote: { url: string; token?: string },
  appId: string,
  runId: string,
): Promise<number> {
  const res = await request(remote, "GET", runPath(appId, runId, "/events"), {
    accept: "text/event-stream",
  });
  if (!res.ok || !res.body) throw await failure(res);
  for await (const { data } of readEvents(res.body)) {
    const e = data as RunEvent;
    if (json) io.out(JSON.stringify(e));
    else if (e.type === "step.delta") continue; // an llm step's text: only its end is a line
    else if (e.type === "step") {
      const error = e.error ? `  ${e.error.code}: ${e.error.message}` : "";
      io.out(`${iso(e.at)} step ${e.stepId} ${e.status} (attempt ${e.attempt ?? 1})${error}`);
    } else {
      const error = e.error ? `: ${e.error.code}: ${e.error.message}` : "";
      io.out(`run ${runId} ${e.status}${error}`);
    }
    if (e.type === "run") return runExit(e.status);
  }
  throw new CliError(`the event stream of ${runId} ended before the run did`, EXIT.FAILED);
}

/** `kiln runs …`: workflow runs. */
export function runsCommand(args: string[], io: Io): Promise<number> {
  return runGroup("runs", "Workflow runs: start, inspect, follow, cancel.", SUBCOMMANDS, args, io);
}
