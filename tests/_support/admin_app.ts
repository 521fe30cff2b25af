/** The app the admin panel's browser tests register: a jit component and a slow workflow. */
export const PANEL_APP_ID = "panel-demo";

export const PANEL_APP_FILES: Record<string, string> = {
  "app_definition.yaml": `appId: ${PANEL_APP_ID}
displayName: Panel demo app with a rather long display name that must wrap on a laptop screen
version: 1.0.0
configuration:
  greeting: hello
`,
  "component_registry.yaml": `components:
  - componentId: hello
    handlerType: jit
    runtime: isolate
    trust: trusted
    taskDetails: { script: code/hello.ts, function: hello, language: typescript }
    routeMatcher: { pathPattern: /hello/:name, methods: [GET, POST] }
`,
  "code/hello.ts":
    `export function hello(req: { httpDetails: { pathParameters: { name: string } } },
  ctx: { configuration: { greeting: string } }) {
  return { message: \`\${ctx.configuration.greeting}, \${req.httpDetails.pathParameters.name}\` };
}
`,
  "workflows/slow.yaml": `workflowId: slow
description: Waits, then answers, so a run can be watched live
startAt: pause
steps:
  pause: { type: control, target: { subtype: wait, durationMs: 4000 }, transitions: [{ nextStep: answer }] }
  answer:
    type: control
    target: { subtype: formatResponse }
    inputMapping: { who: trigger.body.who }
    end: true
`,
};

/** Writes the app as a UHLP directory (`<dir>/state/...`) and answers the directory. */
export async function writePanelApp(files = PANEL_APP_FILES): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-panel-app-" });
  for (const [path, text] of Object.entries(files)) {
    const full = `${dir}/state/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  return dir;
}
