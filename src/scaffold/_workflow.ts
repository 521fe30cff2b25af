import { SCAFFOLD_CASSETTES } from "../generated/scaffold_cassettes.ts";
import { baseFiles, json, type TemplateFiles, type TemplateParts, testFile } from "./_common.ts";
import {
  CASSETTE_NOTE,
  SAMPLE_TEXTS,
  SUMMARIZE_COMPONENT,
  SUMMARIZE_PROMPT,
  SUMMARY_SCHEMA,
  TEXT_SCHEMA,
} from "./_llm.ts";

const DIGEST_WORKFLOW = `workflowId: digest
description: >-
  Measures a text in code, summarizes it with the LLM and answers both; a text the LLM could not
  summarize still gets its measurements.
trigger:
  type: http
startAt: measure
steps:
  measure:
    type: jit
    description: Word count and reading time, computed in code.
    target:
      language: typescript
      script: code/measure.ts
      function: measure
    inputMapping:
      text: trigger.body.text
    timeoutMs: 10000
    transitions:
      - nextStep: summarize

  summarize:
    type: llm
    description: One-sentence summary and tone.
    target:
      promptTemplate: summarize
    inputMapping:
      text: trigger.body.text
    timeoutMs: 30000
    transitions:
      onSuccess: reply
      onFailureDefault: measuredOnly

  reply:
    type: control
    target:
      subtype: formatResponse
      resultType: generic
    inputMapping:
      words: steps.measure.output.words
      readingSeconds: steps.measure.output.readingSeconds
      summary: steps.summarize.output.summary
      sentiment: steps.summarize.output.sentiment
    end: true

  measuredOnly:
    type: control
    description: The LLM failed; the measurements still answer.
    target:
      subtype: formatResponse
      resultType: generic
    inputMapping:
      words: steps.measure.output.words
      readingSeconds: steps.measure.output.readingSeconds
      summary: "''"
      sentiment: "'unknown'"
    end: true
`;

/** `workflow`: a workflow chaining a code step and an llm step, with cassettes. */
export function workflowTemplate(appId: string): TemplateFiles {
  const parts: TemplateParts = {
    appId,
    about: "Digests texts: a workflow measures a text in code, then summarizes it with an LLM.",
    table: [
      ["health", "GET /health", "jit, `code/health.ts` (isolate)"],
      ["measure", "POST /measure", "jit, `code/measure.ts`: words and reading time"],
      ["summarize", "POST /summarize", "llm, `prompts/summarize.yaml`: summary and sentiment"],
      ["digest", "POST /digest", "workflow, `workflows/digest.yaml`: measure, then summarize"],
    ],
    notes: CASSETTE_NOTE,
  };
  return {
    ...baseFiles(parts, {
      configuration: `configuration:
  wordsPerMinute: 200
`,
      components: `  - componentId: measure
    description: Word count and reading time of a text.
    handlerType: jit
    taskDetails: { script: code/measure.ts, function: measure, language: typescript }
    routeMatcher: { pathPattern: /measure, methods: [POST] }
    trust: trusted
    limits: { timeoutMs: 10000 }
    inputSchema: schemas/text.schema.json
    outputSchema: schemas/measurement.schema.json

${SUMMARIZE_COMPONENT}
  - componentId: digest
    description: Measures and summarizes a text.
    handlerType: workflow
    taskDetails: { workflowId: digest }
    routeMatcher: { pathPattern: /digest, methods: [POST] }
    limits: { timeoutMs: 60000 }
    inputSchema: schemas/text.schema.json
`,
    }),
    "state/code/measure.ts": `import { type Context, payload, type RequestData } from "kiln:sdk";

/** POST /measure {text} (and the digest workflow's first step): words and reading time. */
export function measure(requestData: RequestData, context: Context) {
  const { text } = payload(requestData) as { text: string };
  const words = text.split(/\\s+/).filter(Boolean).length;
  const perMinute = Number(context.configuration.wordsPerMinute ?? 200);
  return { words, readingSeconds: Math.ceil((words / perMinute) * 60) };
}
`,
    "state/workflows/digest.yaml": DIGEST_WORKFLOW,
    "state/prompts/summarize.yaml": SUMMARIZE_PROMPT,
    "state/schemas/text.schema.json": TEXT_SCHEMA,
    "state/schemas/summary.schema.json": SUMMARY_SCHEMA,
    "state/schemas/measurement.schema.json": json({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Measurement",
      type: "object",
      properties: {
        words: { type: "integer", minimum: 0 },
        readingSeconds: { type: "integer", minimum: 0 },
      },
      required: ["words", "readingSeconds"],
      additionalProperties: false,
      examples: [{ words: 200, readingSeconds: 60 }],
    }),
    "cassettes/summarize.cassette.json": SCAFFOLD_CASSETTES.workflow,
    "tests/digest.test.yaml": testFile(
      `# kiln app test runs every case through the app's HTTP ingress (docs/guide/testing.md);
# the LLM answers come from cassettes/.`,
      `  - name: measure counts words in an isolate
    component: measure
    input: { text: "one two three four" }
    expect:
      tier: isolate
      body: { words: 4, readingSeconds: 2 }

  - name: digest measures and summarizes praise
    component: digest
    input:
      text: ${JSON.stringify(SAMPLE_TEXTS.praise)}
    expect:
      body: { words: 17, sentiment: positive }

  - name: digest measures and summarizes a complaint
    component: digest
    input:
      text: ${JSON.stringify(SAMPLE_TEXTS.complaint)}
    expect:
      body: { words: 18, sentiment: negative }
`,
    ),
  };
}
