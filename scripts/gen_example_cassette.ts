/**
 * Writes the support-desk example's cassette (`examples/support-desk/cassettes/`), which lets
 * `classify-ticket` answer offline. The calls go through the real path — router, LlmRunner,
 * prompt rendering, `core.llm.generate`, the gateway's recording provider — against a stand-in
 * model on 127.0.0.1 whose answers are written by hand below, and the cassette says so in its
 * provenance. Calls are streamed, so each entry also holds its chunks and their timing. To record a real model instead, run Kiln with `KILN_LLM_RECORD_DIR` set.
 *
 * Run: `deno run --allow-all scripts/gen_example_cassette.ts`
 */
import { fileURLToPath } from "node:url";
import { silentLogger } from "../src/core/mod.ts";
import { createKiln } from "../src/kiln.ts";
import { llmHandler, parseCassette } from "../src/llm/mod.ts";
import { Router } from "../src/router/mod.ts";
import { SandboxManager } from "../src/sandbox/mod.ts";
import { supportDeskFiles } from "../examples/support_desk_bundle.ts";
import { EXAMPLE_MODEL, EXAMPLE_TICKETS } from "../examples/support_desk_cassettes.ts";
import { serveOpenAiStandIn } from "./_openai_stand_in.ts";

const OUT = new URL(
  "../examples/support-desk/cassettes/classify_ticket.cassette.json",
  import.meta.url,
);

/** Gap between the stand-in's streamed chunks, so the cassette holds a visible chunk timing. */
const CHUNK_GAP_MS = 60;

const server = serveOpenAiStandIn(EXAMPLE_MODEL, (user) => {
  const hit = EXAMPLE_TICKETS.find((t) => user.includes(`Subject: ${t.ticket.subject}\n`));
  return hit && JSON.stringify(hit.classification);
}, CHUNK_GAP_MS);

const dataDir = await Deno.makeTempDir({ prefix: "kiln-cassette-" });
const recordDir = `${dataDir}/cassettes`;
const kiln = await createKiln({
  dataDir,
  logger: silentLogger,
  watch: false,
  firstStartApp: supportDeskFiles,
  llm: {
    config: {
      profiles: {
        default: {
          provider: "openai",
          baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
          model: EXAMPLE_MODEL,
        },
      },
      recordDir,
    },
  },
});
try {
  const router = new Router({
    registry: kiln.registry,
    handlers: {
      llm: llmHandler({ runner: kiln.llmRunner, sandbox: new SandboxManager([], silentLogger) }),
    },
    tools: kiln.tools,
    executionTokens: kiln.executionTokens,
    logger: silentLogger,
  });
  for (const { ticket } of EXAMPLE_TICKETS) {
    const res = await router.handle(
      new Request("http://127.0.0.1/apps/support-desk/tickets/classify", {
        method: "POST",
        // Streamed, so the recording keeps the chunks and their timing for streamed replays.
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify(ticket),
      }),
    );
    const text = await res.text();
    if (res.status !== 200 || !text.includes("event: result\n")) {
      throw new Error(`${ticket.subject}: ${res.status} ${text}`);
    }
  }
  const cassette = parseCassette(
    JSON.parse(await Deno.readTextFile(`${recordDir}/default.cassette.json`)),
  );
  cassette.name = "support-desk/classify_ticket";
  cassette.provenance = {
    source: `hand-written answers served by a local stand-in for ${EXAMPLE_MODEL}`,
    recordedAt: cassette.provenance.recordedAt,
    note: "Not the output of a real model: example data so the app runs offline.",
  };
  await Deno.writeTextFile(OUT, `${JSON.stringify(cassette, null, 2)}\n`);
  console.log(`wrote ${fileURLToPath(OUT)} (${cassette.entries.length} entries)`);
} finally {
  await kiln.close();
  await server.shutdown();
  await Deno.remove(dataDir, { recursive: true });
}
