import {
  baseFiles,
  image,
  json,
  type TemplateFiles,
  type TemplateParts,
  testFile,
} from "./_common.ts";

const STATS_PY =
  `"""POST /stats {numbers}: summary statistics, computed with Python's standard library."""
import json
import statistics


def read_input(request_data):
    """The input of a tool call or a workflow step, else the HTTP request's JSON body."""
    if request_data.get("input") is not None:
        return request_data["input"]
    body = (request_data.get("httpDetails") or {}).get("body") or "{}"
    return json.loads(body)


def stats(request_data, context):
    numbers = read_input(request_data)["numbers"]
    return {
        "count": len(numbers),
        "mean": statistics.fmean(numbers),
        "median": statistics.median(numbers),
        "stdev": statistics.pstdev(numbers),
        "min": min(numbers),
        "max": max(numbers),
    }
`;

/** `container`: a Python component in a Docker container pool (the container tier). */
export function containerTemplate(appId: string): TemplateFiles {
  const parts: TemplateParts = {
    appId,
    about: "Summary statistics of numbers, computed by Python in a Docker container.",
    table: [
      ["health", "GET /health", "jit, `code/health.ts` (isolate)"],
      ["stats", "POST /stats", "jit, `code/stats.py` (container, pool `python`)"],
    ],
    notes: `\`stats\` runs in the \`python\` pool: containers from \`${
      image("python")
    }\` with CPU and
memory limits, a read-only root, no network and no capabilities. Build the runner images once
with \`kiln sandbox build-images\`; Kiln needs a Docker engine for this tier.`,
    pools: `sandboxPools:
  pools:
    - poolName: python
      dockerImage: ${image("python")}
      minInstances: 0
      maxInstances: 2
      resourceLimits:
        cpuLimit: 0.5
        memoryLimit: 256m
`,
  };
  return {
    ...baseFiles(parts, {
      components: `  - componentId: stats
    description: Count, mean, median, standard deviation, min and max of a list of numbers.
    handlerType: jit
    runtime: container
    targetPoolName: python
    taskDetails: { script: code/stats.py, function: stats, language: python }
    routeMatcher: { pathPattern: /stats, methods: [POST] }
    limits: { timeoutMs: 10000, memoryMb: 128 }
    inputSchema: schemas/numbers.schema.json
    outputSchema: schemas/stats.schema.json
`,
    }),
    "state/code/stats.py": STATS_PY,
    "state/schemas/numbers.schema.json": json({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Numbers",
      type: "object",
      properties: {
        numbers: { type: "array", items: { type: "number" }, minItems: 1, maxItems: 10000 },
      },
      required: ["numbers"],
      additionalProperties: false,
      examples: [{ numbers: [1, 2, 3, 4] }],
    }),
    "state/schemas/stats.schema.json": json({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: "Statistics",
      type: "object",
      properties: Object.fromEntries(
        ["count", "mean", "median", "stdev", "min", "max"].map((k) => [k, { type: "number" }]),
      ),
      required: ["count", "mean", "median", "stdev", "min", "max"],
      additionalProperties: false,
      examples: [{ count: 4, mean: 2.5, median: 2.5, stdev: 1.118, min: 1, max: 4 }],
    }),
    "tests/stats.test.yaml": testFile(
      `# kiln app test runs every case through the app's HTTP ingress (docs/guide/testing.md).`,
      `  - name: stats summarizes numbers in a container
    component: stats
    input: { numbers: [2, 4, 4, 4, 5, 5, 7, 9] }
    expect:
      tier: container
      body: { count: 8, mean: 5, median: 4.5, stdev: 2, min: 2, max: 9 }

  - name: stats refuses an empty list
    component: stats
    input: { numbers: [] }
    expect:
      status: 400
      error: VALIDATION_ERROR
`,
    ),
  };
}
