/** What the bootstrap wizard asks for. */
export interface SkeletonInput {
  appId: string;
  displayName: string;
  description: string;
  componentId: string;
  pathPattern: string;
  withWorkflow: boolean;
}

/**
 * The files of a new app in the UHLP layout (paths relative to `state/`): an app definition, one
 * TypeScript jit component on a GET route, an empty security config and optimization rules, and
 * optionally a two-step workflow, so a new app registers, serves and can be edited at once.
 */
export function skeletonFiles(s: SkeletonInput): Record<string, string> {
  const files: Record<string, string> = {
    "app_definition.yaml": `appId: ${s.appId}
displayName: ${JSON.stringify(s.displayName || s.appId)}
version: 0.1.0
${s.description ? `description: ${JSON.stringify(s.description)}\n` : ""}configuration:
  greeting: hello
`,
    "component_registry.yaml": `components:
  - componentId: ${s.componentId}
    handlerType: jit
    runtime: auto
    trust: trusted
    taskDetails: { script: code/${s.componentId}.ts, function: handle, language: typescript }
    routeMatcher: { pathPattern: ${s.pathPattern}, methods: [GET, POST] }
`,
    [`code/${s.componentId}.ts`]:
      `/** ${s.componentId}: answers a greeting from the app configuration. */
export function handle(_req: unknown, ctx: { configuration: { greeting?: string } }) {
  return { message: \`\${ctx.configuration.greeting ?? "hello"} from ${s.appId}\` };
}
`,
    "security_config.yaml": "apiKeys: []\ninterAppPermissions: []\n",
    "optimization_config.yaml": "rules: []\n",
  };
  if (s.withWorkflow) {
    files["workflows/hello.yaml"] = `workflowId: hello
description: Waits a moment, then answers
startAt: pause
steps:
  pause: { type: control, target: { subtype: wait, durationMs: 1000 }, transitions: [{ nextStep: answer }] }
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { who: trigger.body.who }
    end: true
`;
  }
  return files;
}
