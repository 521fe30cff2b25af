import { VERSION } from "../core/mod.ts";

/** The templates `kiln app new` offers. */
export const TEMPLATE_NAMES = ["basic", "llm", "workflow", "container"] as const;
export type TemplateName = typeof TEMPLATE_NAMES[number];

/** The files of one template, paths relative to the new app directory. */
export type TemplateFiles = Record<string, string>;

/** What every template shares: its README text, the components it lists, its pools. */
export interface TemplateParts {
  appId: string;
  about: string;
  /** Rows of the README's component table: [id, route, what it is]. */
  table: [string, string, string][];
  /** Extra README paragraphs (markdown). */
  notes?: string;
  pools?: string;
}

/** The runner image of a pool, at the version of this Kiln (`kiln sandbox build-images`). */
export const image = (runner: "deno" | "python") => `kiln/${runner}-runner:${VERSION}`;

export const GITIGNORE = `# kiln app test and local Kiln data dirs
.kiln-data/
node_modules/
`;

export const SECURITY =
  `# No API keys ship with the app: create them through Kiln, which stores only salted hashes.
apiKeys: []
interAppPermissions: []
userRoles: {}
`;

/** A liveness component every template has, so a fresh app answers at once on any Kiln. */
export const HEALTH_COMPONENT = `  - componentId: health
    description: Liveness of the app itself, answered without the LLM.
    handlerType: jit
    taskDetails: { script: code/health.ts, function: health, language: typescript }
    routeMatcher: { pathPattern: /health, methods: [GET] }
    runtime: isolate
    trust: trusted
    limits: { timeoutMs: 10000 }
`;

export const HEALTH_CODE = `import type { Context } from "kiln:sdk";

/** GET /health: proves the app's code path runs, and which revision answers. */
export function health(_requestData: unknown, context: Context) {
  return { status: "ok", appId: context.appId, version: context.applicationInfo.version };
}
`;

export const HEALTH_CASE = `  - name: health answers ok
    component: health
    expect:
      status: 200
      tier: isolate
      body: { status: ok }
`;

export function appDefinition(p: TemplateParts): string {
  return `appId: ${p.appId}
displayName: ${p.appId}
version: 0.1.0
description: >-
  ${p.about}
${p.pools ?? ""}`;
}

export function readme(p: TemplateParts): string {
  const width = [0, 1, 2].map((i) =>
    Math.max(["component", "route", "handler"][i].length, ...p.table.map((r) => r[i].length + 2))
  );
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i])).join(" | ")} |`;
  return `# ${p.appId}

${p.about}

| ${["component", "route", "handler"].map((h, i) => h.padEnd(width[i])).join(" | ")} |
| ${width.map((w) => "-".repeat(w)).join(" | ")} |
${p.table.map(([id, route, what]) => row([`\`${id}\``, `\`${route}\``, what])).join("\n")}

Definitions live under \`state/\` (Kiln's app layout): \`app_definition.yaml\`,
\`component_registry.yaml\`, \`code/\`, \`schemas/\`${
    p.table.some((r) => r[2].startsWith("llm")) ? ", `prompts/`" : ""
  }${p.table.some((r) => r[2].startsWith("workflow")) ? ", `workflows/`" : ""}.
${p.notes ? `\n${p.notes}\n` : ""}
## Test

\`\`\`sh
kiln app test            # every case in tests/*.test.yaml and every schema example
kiln app test --filter health
\`\`\`

\`kiln app test\` starts a private Kiln on a temporary data dir, registers this directory and runs
each case through the app's HTTP ingress on the tier Kiln picks for the component (see the
\`tier\` expectations). The format is described in Kiln's \`docs/guide/testing.md\`.

## Serve

\`\`\`sh
kiln app register .      # on a running kiln serve
curl localhost:7411/apps/${p.appId}/health
\`\`\`
`;
}

/**
 * The files every template starts from: README, .gitignore, the app definition (with the
 * template's `configuration:` block, if any), security config, and a component registry that
 * lists the health component before the template's own.
 */
export function baseFiles(
  p: TemplateParts,
  o: { configuration?: string; components: string },
): TemplateFiles {
  return {
    "README.md": readme(p),
    ".gitignore": GITIGNORE,
    "state/app_definition.yaml": appDefinition(p) + (o.configuration ?? ""),
    "state/security_config.yaml": SECURITY,
    "state/component_registry.yaml": `components:\n${HEALTH_COMPONENT}\n${o.components}`,
    "state/code/health.ts": HEALTH_CODE,
  };
}

/** A test file: a comment, the health case, then the template's own cases. */
export function testFile(comment: string, cases: string): string {
  return `${comment}\ncases:\n${HEALTH_CASE}\n${cases}`;
}

/** A JSON file as templates write it. */
export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
