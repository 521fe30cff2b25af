/**
 * An llm component whose trust or runtime asks for a container runs there: the bundled LLM runner
 * renders the prompt and calls `core.llm.generate` over the container's MCP socket with the
 * execution's token, answered here from the example's cassette (labelled as a recording).
 */
import assert from "node:assert/strict";
import { supportDeskFiles } from "../examples/support_desk_bundle.ts";
import {
  EXAMPLE_TICKETS,
  offlineLlmConfig,
  supportDeskCassettes,
} from "../examples/support_desk_cassettes.ts";
import { dockerTests } from "./_support/containers.ts";
import { startKiln } from "./_support/kiln.ts";

const { ignore } = await dockerTests();
const OFFLINE = { config: offlineLlmConfig, cassettes: supportDeskCassettes };

/** The example app with classify-ticket pinned to the container tier. */
const files = {
  ...supportDeskFiles,
  "component_registry.yaml": supportDeskFiles["component_registry.yaml"].replace(
    "  - componentId: classify-ticket\n",
    "  - componentId: classify-ticket\n    runtime: container\n",
  ),
};

async function classify(t: Awaited<ReturnType<typeof startKiln>>, ticket: unknown) {
  const res = await t.raw(
    new Request("http://kiln.test/apps/support-desk/tickets/classify", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ticket),
    }),
  );
  return { res, body: await res.json() };
}

Deno.test({
  name: "an llm component pinned to containers is answered by the LLM runner inside one",
  ignore,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    assert.notEqual(files["component_registry.yaml"], supportDeskFiles["component_registry.yaml"]);
    const t = await startKiln({ containers: true, llm: OFFLINE });
    try {
      await t.kiln.registry.registerApplication({ files });
      const { ticket, classification } = EXAMPLE_TICKETS[1];
      const { res, body } = await classify(t, ticket);
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.deepEqual(body, classification);
      assert.equal(res.headers.get("x-kiln-tier"), "container");
      assert.equal(
        res.headers.get("x-kiln-tier-reason"),
        "llm: runtime container pinned -> container",
      );
      assert.equal(res.headers.get("x-kiln-llm-provenance"), "recording");
      const [usage] = t.kiln.llm.meter.snapshot();
      assert.equal(usage.calls, 1, "the model call went through the gateway once");

      const missing = await classify(t, { description: "no subject" });
      assert.equal(missing.res.status, 400, JSON.stringify(missing.body));
      // The component's inputSchema refuses it before a container is asked to render anything.
      assert.equal(missing.body.error.code, "VALIDATION_ERROR");
    } finally {
      await t.close();
    }
  },
});

Deno.test("an llm component pinned to containers is refused, not run on the host, without Docker", async () => {
  const t = await startKiln({ containers: false, llm: OFFLINE });
  try {
    await t.kiln.registry.registerApplication({ files });
    const { res, body } = await classify(t, EXAMPLE_TICKETS[0].ticket);
    assert.equal(res.status, 503, JSON.stringify(body));
    assert.equal(body.error.code, "TIER_UNAVAILABLE");
    assert.match(body.error.message, /must run in a container \(runtime container pinned\)/);
    assert.equal(t.kiln.llm.meter.snapshot().length, 0, "no model call was made");
  } finally {
    await t.close();
  }
});
