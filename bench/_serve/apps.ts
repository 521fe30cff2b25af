/**
 * The one function every server in the serve benchmark runs — count the words of a small JSON
 * body — as a bare Deno server, a workerd module worker and Kiln components on each tier.
 */

export const BODY = JSON.stringify({ text: "the quick brown fox jumps over the lazy dog" });
/** What every server must answer to `BODY`. */
export const EXPECTED = '"words":9';

export function wordCount(requestData: { httpDetails?: { body?: string } }) {
  const { text } = JSON.parse(requestData.httpDetails?.body ?? "{}");
  return { words: String(text ?? "").split(/\s+/).filter(Boolean).length };
}

/** A bare `Deno.serve` answering with the word count (prints `listening on <url>`). */
export const BARE_SOURCE = `
const wordCount = ${wordCount.toString()};
Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log("listening on http://127.0.0.1:" + port) },
  async (req) => Response.json(wordCount({ httpDetails: { body: await req.text() } })));
`;

/** The same as a workerd module worker. */
export const WORKERD_SOURCE = `
const wordCount = ${wordCount.toString()};
export default {
  async fetch(req) {
    return Response.json(wordCount({ httpDetails: { body: await req.text() } }));
  },
};
`;

export type Tier = "isolate" | "wasm" | "container";

/** The container pool the container component runs in: two warm Deno runners. */
const POOL = "warm";
export const CONTAINER_POOL_SIZE = 2;

/** An app with the word count on each of `tiers` at `/words-<tier>` (POST). */
export function wordsApp(appId: string, tiers: Tier[]): Record<string, string> {
  const pools = tiers.includes("container")
    ? `sandboxPools:
  pools:
    - poolName: ${POOL}
      dockerImage: "kiln/deno-runner:0.1.0"
      minInstances: ${CONTAINER_POOL_SIZE}
      maxInstances: ${CONTAINER_POOL_SIZE}
`
    : "";
  const components = tiers.map((runtime) =>
    `  - componentId: words-${runtime}
    handlerType: jit
    runtime: ${runtime}
    trust: trusted
${runtime === "container" ? `    targetPoolName: ${POOL}\n` : ""}\
    taskDetails: { script: code/words.ts, function: wordCount, language: typescript }
    routeMatcher: { pathPattern: /words-${runtime}, methods: [POST] }
`
  ).join("");
  return {
    "app_definition.yaml": `appId: ${appId}\ndisplayName: ${appId}\nversion: 1.0.0\n${pools}`,
    "component_registry.yaml": `components:\n${components}`,
    "code/words.ts": `export ${wordCount.toString()}\n`,
  };
}

export async function post(url: string, body = BODY, headers: Record<string, string> = {}) {
  return await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** POSTs `BODY` and insists on the word count. */
export async function check(url: string): Promise<void> {
  const res = await post(url);
  const body = await res.text();
  if (res.status !== 200 || !body.includes(EXPECTED)) {
    throw new Error(`${url}: ${res.status} ${body}`);
  }
}
