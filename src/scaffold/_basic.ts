import { baseFiles, json, type TemplateFiles, type TemplateParts, testFile } from "./_common.ts";

/** `basic`: a TypeScript component in a V8 isolate and one in the QuickJS wasm tier. */
export function basicTemplate(appId: string): TemplateFiles {
  const parts: TemplateParts = {
    appId,
    about: "Greets people (a V8 isolate) and turns titles into URL slugs (the QuickJS wasm tier).",
    table: [
      ["health", "GET /health", "jit, `code/health.ts` (isolate)"],
      ["hello", "POST /hello", "jit, `code/hello.ts` (isolate): a greeting"],
      ["slugify", "POST /slugify", "jit, `code/slugify.ts` (wasm, trust low): a URL slug"],
    ],
  };
  return {
    ...baseFiles(parts, {
      configuration: `configuration:
  greeting: Hello
`,
      components: `  - componentId: hello
    description: Greets someone by name, in the app's configured greeting.
    handlerType: jit
    taskDetails: { script: code/hello.ts, function: hello, language: typescript }
    routeMatcher: { pathPattern: /hello, methods: [POST] }
    runtime: isolate
    trust: trusted
    limits: { timeoutMs: 10000 }
    inputSchema: schemas/greeting_request.schema.json
    outputSchema: schemas/greeting.schema.json

  - componentId: slugify
    description: Turns a title into a URL slug; untrusted-style code, so it runs in the wasm tier.
    handlerType: jit
    taskDetails: { script: code/slugify.ts, function: slugify, language: typescript }
    routeMatcher: { pathPattern: /slugify, methods: [POST] }
    runtime: wasm
    trust: low
    limits: { timeoutMs: 10000 }
    inputSchema: schemas/slug_request.schema.json
    outputSchema: schemas/slug.schema.json
`,
    }),
    "state/code/hello.ts": `import { type Context, payload, type RequestData } from "kiln:sdk";

/** POST /hello {name}: a greeting in the app's configured words. */
export function hello(requestData: RequestData, context: Context) {
  const { name } = payload(requestData) as { name: string };
  const greeting = String(context.configuration.greeting ?? "Hello");
  return { message: \`\${greeting}, \${name}!\` };
}
`,
    "state/code/slugify.ts": `import { payload, type RequestData } from "kiln:sdk";

/** POST /slugify {title}: lower case, ASCII letters and digits joined by single dashes. */
export function slugify(requestData: RequestData, _context: unknown) {
  const { title } = payload(requestData) as { title: string };
  const slug = title.normalize("NFKD").replace(/[\\u0300-\\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return { slug, length: slug.length };
}
`,
    "state/schemas/greeting_request.schema.json": json({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Greeting request",
      type: "object",
      properties: { name: { type: "string", minLength: 1, maxLength: 100 } },
      required: ["name"],
      additionalProperties: false,
      examples: [{ name: "Ada" }],
    }),
    "state/schemas/greeting.schema.json": json({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Greeting",
      type: "object",
      properties: { message: { type: "string" } },
      required: ["message"],
      additionalProperties: false,
      examples: [{ message: "Hello, Ada!" }],
    }),
    "state/schemas/slug_request.schema.json": json({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Slug request",
      type: "object",
      properties: { title: { type: "string", minLength: 1, maxLength: 500 } },
      required: ["title"],
      additionalProperties: false,
      examples: [{ title: "Hello, World!" }],
    }),
    "state/schemas/slug.schema.json": json({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Slug",
      type: "object",
      properties: {
        slug: { type: "string", pattern: "^[a-z0-9]+(-[a-z0-9]+)*$|^$" },
        length: { type: "integer", minimum: 0 },
      },
      required: ["slug", "length"],
      additionalProperties: false,
      examples: [{ slug: "hello-world", length: 11 }],
    }),
    "tests/components.test.yaml": testFile(
      `# kiln app test runs every case through the app's HTTP ingress (docs/guide/testing.md).`,
      `  - name: hello greets by name
    component: hello
    input: { name: Ada }
    expect:
      tier: isolate
      body: { message: "Hello, Ada!" }

  - name: hello answers as an MCP tool
    component: hello
    via: mcp
    input: { name: Grace }
    expect:
      body: { message: "Hello, Grace!" }

  - name: hello refuses a request without a name
    component: hello
    input: {}
    expect:
      status: 400
      error: VALIDATION_ERROR

  - name: slugify makes a slug in the wasm tier
    component: slugify
    input: { title: "  Crème Brûlée: 10 Tips!  " }
    expect:
      tier: wasm
      body: { slug: creme-brulee-10-tips, length: 20 }
`,
    ),
  };
}
