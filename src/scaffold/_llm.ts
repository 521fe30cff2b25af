import { SCAFFOLD_CASSETTES } from "../generated/scaffold_cassettes.ts";
import { baseFiles, json, type TemplateFiles, type TemplateParts, testFile } from "./_common.ts";

/** The texts the templates' tests summarize; their recordings are in the cassettes. */
export const SAMPLE_TEXTS = {
  praise: "The new release fixed every crash we reported, and support answered within the hour. " +
    "Great work, everyone!",
  complaint: "The invoice arrived two weeks late and it still lists our old address. " +
    "This is the third time.",
} as const;

export const SUMMARY_SCHEMA = json({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Summary",
  description: "What summarize answers; the LLM's output is validated against it.",
  type: "object",
  properties: {
    summary: { type: "string", minLength: 1, maxLength: 280 },
    sentiment: { type: "string", enum: ["positive", "neutral", "negative"] },
  },
  required: ["summary", "sentiment"],
  additionalProperties: false,
  examples: [{ summary: "A customer thanks the team for a quick fix.", sentiment: "positive" }],
});

export const TEXT_SCHEMA = json({
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "Text",
  type: "object",
  properties: { text: { type: "string", minLength: 1, maxLength: 20000 } },
  required: ["text"],
  additionalProperties: false,
  examples: [{ text: "Thanks for the quick fix!" }],
});

export const SUMMARIZE_PROMPT =
  `# No \`model\`: the component uses the model Kiln is configured with.
description: Summarizes a text in one sentence and judges its tone.
parameters:
  temperature: 0
  max_tokens: 200
system: >-
  You summarize short texts. You answer with one JSON object and nothing else.
template: |
  Summarize this text in one sentence of at most 280 characters, and say whether its tone is
  positive, neutral or negative.

  Text:
  {{ text }}
outputFormat: json
outputSchema: schemas/summary.schema.json
# Few-shot turns; kiln app test also checks each output against the output schema.
examples:
  - input:
      text: The parcel came a day early and well packed. Thank you!
    output:
      summary: A customer thanks the shop for an early, well-packed delivery.
      sentiment: positive
`;

export const SUMMARIZE_COMPONENT = `  - componentId: summarize
    description: One-sentence summary and tone of a text, by the LLM.
    handlerType: llm
    taskDetails:
      promptTemplate: summarize
    routeMatcher: { pathPattern: /summarize, methods: [POST] }
    limits: { timeoutMs: 30000 }
    inputSchema: schemas/text.schema.json
    outputSchema: schemas/summary.schema.json
`;

export const CASSETTE_NOTE =
  `LLM calls replay from \`cassettes/*.cassette.json\` when no model is configured, so the
app and its tests run offline. The recordings that ship with the template are hand-written
example answers (their \`provenance\` says so) for exactly the texts in \`tests/\`; any other input
answers \`503 LLM_RECORDING_MISSING\` until you record it against a live model (run Kiln with
\`KILN_LLM_PROVIDER\`, \`KILN_LLM_MODEL\` and \`KILN_LLM_RECORD_DIR\`, then copy the cassette here).`;

/** `llm`: an llm component with a prompt, an output schema and a cassette to run offline. */
export function llmTemplate(appId: string): TemplateFiles {
  const parts: TemplateParts = {
    appId,
    about: "Summarizes texts and judges their tone with an LLM; runs offline from its cassette.",
    table: [
      ["health", "GET /health", "jit, `code/health.ts` (isolate)"],
      ["summarize", "POST /summarize", "llm, `prompts/summarize.yaml`: summary and sentiment"],
    ],
    notes: CASSETTE_NOTE,
  };
  return {
    ...baseFiles(parts, {
      components: `${SUMMARIZE_COMPONENT}`,
    }),
    "state/prompts/summarize.yaml": SUMMARIZE_PROMPT,
    "state/schemas/text.schema.json": TEXT_SCHEMA,
    "state/schemas/summary.schema.json": SUMMARY_SCHEMA,
    "cassettes/summarize.cassette.json": SCAFFOLD_CASSETTES.llm,
    "tests/summarize.test.yaml": testFile(
      `# kiln app test runs every case through the app's HTTP ingress (docs/guide/testing.md);
# the LLM answers come from cassettes/.`,
      `  - name: summarize finds praise positive
    component: summarize
    input:
      text: ${JSON.stringify(SAMPLE_TEXTS.praise)}
    expect:
      body: { sentiment: positive }

  - name: summarize finds a complaint negative
    component: summarize
    input:
      text: ${JSON.stringify(SAMPLE_TEXTS.complaint)}
    expect:
      body: { sentiment: negative }

  - name: summarize refuses an empty text before calling the LLM
    component: summarize
    input: { text: "" }
    expect:
      status: 400
      error: VALIDATION_ERROR
`,
    ),
  };
}
