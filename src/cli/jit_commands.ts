import { parseArgs } from "node:util";
import { callApi, DEFAULT_URL, failure, request } from "./_client.ts";
import { resolveRemote } from "./_command.ts";
import { CliError, type Io } from "./_output.ts";
import { readEvents } from "./_sse.ts";

export const JIT_HELP = `Usage: kiln jit <command> APP [COMPONENT] [options]

Commands:
  list APP                      JIT state of every llm component of APP
  status APP COMPONENT          State, versions, shadow agreement and the last generation
  generate APP COMPONENT        Start a generation (the manual trigger); --wait follows it
  promote APP COMPONENT VERSION Switch the component to a generated version (e.g. v2)
  rollback APP COMPONENT        Put the component back on its LLM definition

Options:
  --reason TEXT  Why (generate, rollback; kept in the audit log)
  --wait         generate: stream its progress until the gate decides
  --url URL      Kiln's address (default $KILN_URL or ${DEFAULT_URL})
  --token TOKEN  Admin token or app key (default $KILN_ADMIN_TOKEN, the profile)
  --profile NAME A profile saved by kiln login
  --json         Print raw JSON
  -h, --help     Show this help`;

interface Status {
  componentId: string;
  handlerType: string;
  state: string;
  activeVersion?: string;
  samples: number;
  versions: { version: string; decision: string; agreement: number; lowerBound: number }[];
  shadow?: { checks: number; agreements: number; rollingAgreement: number | null };
  lastGeneration?: Generation;
}
interface Generation {
  generationId: string;
  status: string;
  events: { phase: string; message: string }[];
  report?: { decision: string; reasons: string[]; gate: { agreement: number; lowerBound: number } };
  error?: { code: string; message: string };
}

/** `kiln jit …`: the JIT loop of a running Kiln, over its HTTP API. */
export async function jitCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      reason: { type: "string" },
      wait: { type: "boolean", default: false },
      url: { type: "string" },
      token: { type: "string" },
      profile: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [sub, appId, componentId, version] = positionals;
  if (values.help || !sub) {
    io.out(JIT_HELP);
    return values.help ? 0 : 2;
  }
  const remote = await resolveRemote(values);
  const need = (ok: unknown, usage: string) => {
    if (!ok) throw new CliError(`usage: kiln jit ${usage}`, 2);
  };
  const base = () => `/v1/apps/${encodeURIComponent(appId)}/jit`;
  const one = () => `${base()}/${encodeURIComponent(componentId)}`;
  const print = (value: unknown, human: () => string) =>
    io.out(values.json ? JSON.stringify(value, null, 2) : human());
  const reason = values.reason ? { reason: values.reason } : {};

  switch (sub) {
    case "list": {
      need(appId, "list APP");
      const { components } = await callApi(remote, "GET", base()) as { components: Status[] };
      print(components, () =>
        components.length === 0 ? `${appId} has no llm components` : [
          row("COMPONENT", "STATE", "ACTIVE", "SAMPLES", "SHADOW"),
          ...components.map((c) =>
            row(c.componentId, c.state, c.activeVersion ?? "-", String(c.samples), shadow(c))
          ),
        ].join("\n"));
      return 0;
    }
    case "status": {
      need(appId && componentId, "status APP COMPONENT");
      const s = await callApi(remote, "GET", one()) as Status;
      print(s, () => describe(s));
      return 0;
    }
    case "generate": {
      need(appId && componentId, "generate APP COMPONENT");
      let gen = await callApi(remote, "POST", `${one()}/generate`, reason) as Generation;
      if (!values.wait) {
        print(
          gen,
          () => `generation ${gen.generationId} started; kiln jit status ${appId} ${componentId}`,
        );
        return 0;
      }
      // The generation's events as they happen (server-sent), ending with `done`.
      const path = `/v1/apps/${encodeURIComponent(appId)}/optimization/generations/${
        encodeURIComponent(gen.generationId)
      }/events`;
      const res = await request(remote, "GET", path, { accept: "text/event-stream" });
      if (!res.ok || !res.body) throw await failure(res);
      let done = false;
      for await (const { event, data } of readEvents(res.body)) {
        if (event === "done") {
          gen = data as Generation;
          done = true;
          break;
        }
        const e = data as Generation["events"][number];
        if (!values.json) io.out(`[${e.phase}] ${e.message}`);
      }
      if (!done) throw new CliError(`the events of ${gen.generationId} ended before it did`);
      if (values.json) io.out(JSON.stringify(gen, null, 2));
      return gen.status === "failed" ? 1 : 0;
    }
    case "promote": {
      need(appId && componentId && version, "promote APP COMPONENT VERSION");
      const s = await callApi(remote, "POST", `${one()}/promote`, { version }) as Status;
      print(s, () => `${componentId} now runs ${s.activeVersion}\n${describe(s)}`);
      return 0;
    }
    case "rollback": {
      need(appId && componentId, "rollback APP COMPONENT");
      const s = await callApi(remote, "POST", `${one()}/rollback`, reason) as Status;
      print(s, () => `${componentId} is back on the LLM\n${describe(s)}`);
      return 0;
    }
    default:
      throw new CliError(`unknown command "jit ${sub}"; see kiln jit --help`, 2);
  }
}

function describe(s: Status): string {
  const lines = [
    `${s.componentId}: ${s.state} (${s.handlerType}${
      s.activeVersion ? ` ${s.activeVersion}` : ""
    })`,
    `samples: ${s.samples}   shadow: ${shadow(s)}`,
    ...s.versions.map((v) =>
      `  ${v.version}  ${v.decision.padEnd(11)} gate ${pct(v.agreement)} (≥${pct(v.lowerBound)})`
    ),
  ];
  const g = s.lastGeneration;
  if (g) {
    lines.push(`last generation ${g.generationId}: ${g.status}`);
    if (g.report) lines.push(`  ${g.report.decision}: ${g.report.reasons.join("; ")}`);
    if (g.error) lines.push(`  ${g.error.code}: ${g.error.message}`);
  }
  return lines.join("\n");
}

function shadow(s: Status): string {
  const sh = s.shadow;
  if (!sh) return "-";
  const r = sh.rollingAgreement === null ? "-" : pct(sh.rollingAgreement);
  return `${sh.agreements}/${sh.checks} (rolling ${r})`;
}

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

function row(...cells: string[]): string {
  return cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(i === 0 ? 24 : 12)).join(" ");
}
