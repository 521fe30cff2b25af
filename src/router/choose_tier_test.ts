import assert from "node:assert/strict";
import { KilnError } from "../core/mod.ts";
import { ComponentDefinition } from "../models/mod.ts";
import { TIER_STRENGTH, type TierDriver, type TierName } from "../sandbox/mod.ts";
import { chooseTier, type TierLookup } from "./choose_tier.ts";

function component(fields: Record<string, unknown> = {}): ComponentDefinition {
  const { language = "typescript", ...rest } = fields;
  return ComponentDefinition.parse({
    componentId: "c",
    handlerType: "jit",
    taskDetails: { script: "code/c.ts", function: "run", language },
    ...rest,
  });
}

/**
 * A node's tier table with the named tiers; `down` maps tiers to why they are unavailable.
 * chooseTier reads only `name`, `accepts` and availability, so a table is all it needs.
 */
function node(tiers: TierName[], down: Partial<Record<TierName, string>> = {}): TierLookup {
  const accepts = {
    isolate: { javascript: "esm" },
    wasm: { javascript: "iife", wasmComponent: true },
    container: { javascript: "esm", python: true },
  } as const;
  return {
    driver(tier) {
      if (!tiers.includes(tier)) return { unavailable: `the ${tier} tier is not configured` };
      if (down[tier]) return { unavailable: down[tier]! };
      return { driver: { name: tier, accepts: accepts[tier] } as TierDriver };
    },
  };
}

const ALL: TierName[] = ["isolate", "wasm", "container"];

Deno.test("chooseTier() auto: the weakest tier the trust, language and memory allow", () => {
  const cases: [Record<string, unknown>, TierName, RegExp][] = [
    [{ trust: "trusted" }, "isolate", /^auto: trust trusted -> isolate$/],
    [{}, "wasm", /^auto: trust low -> wasm$/],
    [{ trust: "untrusted" }, "container", /^auto: trust untrusted -> container$/],
    [{ trust: "trusted", language: "python" }, "container", /language python -> container/],
    [{ trust: "trusted", language: "wasm" }, "wasm", /language wasm -> wasm/],
    [{ trust: "trusted", limits: { memoryMb: 256 } }, "isolate", /trust trusted/],
    [{ trust: "trusted", limits: { memoryMb: 512 } }, "container", /memoryMb 512 -> container/],
    [
      { trust: "trusted", permissions: ["core.linux.executeCommand"] },
      "container",
      /permission core.linux.executeCommand -> container/,
    ],
    [{ trust: "trusted", targetPoolName: "default" }, "isolate", /trust trusted/],
  ];
  for (const [fields, tier, reason] of cases) {
    const decision = chooseTier(component(fields), node(ALL));
    assert.equal(decision.tier, tier, JSON.stringify(fields));
    assert.match(decision.reason, reason);
  }
});

Deno.test("chooseTier() never lowers isolation, whatever is down or pinned", () => {
  const trusts = ["trusted", "low", "untrusted"] as const;
  const floors = { trusted: 1, low: 2, untrusted: 3 };
  for (const trust of trusts) {
    for (const runtime of ["auto", ...ALL] as const) {
      for (const downTier of [undefined, ...ALL]) {
        const manager = node(ALL, downTier ? { [downTier]: "stopped" } : {});
        try {
          const { tier } = chooseTier(component({ trust, runtime }), manager);
          assert.ok(TIER_STRENGTH[tier] >= floors[trust], `${trust}/${runtime} ran on ${tier}`);
          assert.notEqual(tier, downTier);
          if (runtime !== "auto") assert.equal(tier, runtime, "a pin never moves");
        } catch (err) {
          assert.ok(err instanceof KilnError && err.code === "TIER_UNAVAILABLE", String(err));
        }
      }
    }
  }
});

Deno.test("chooseTier() auto moves up to a stronger tier when its own is down, and says so", () => {
  const d = chooseTier(component({ trust: "trusted" }), node(ALL, { isolate: "pool crashed" }));
  assert.equal(d.tier, "wasm");
  assert.equal(d.reason, "auto: trust trusted -> isolate unavailable (pool crashed) -> wasm");
  const missing = chooseTier(component({ trust: "trusted" }), node(["wasm"]));
  assert.equal(missing.tier, "wasm");
  assert.match(missing.reason, /isolate unavailable \(the isolate tier is not configured/);
});

Deno.test("chooseTier() answers TIER_UNAVAILABLE with the reason when nothing allowed is up", () => {
  assert.throws(
    () => chooseTier(component({ trust: "untrusted" }), node(["isolate", "wasm"])),
    (err: KilnError) => {
      assert.equal(err.code, "TIER_UNAVAILABLE");
      assert.match(err.message, /no tier at or above container \(trust untrusted\) is up/);
      assert.match(err.message, /container tier is not configured/);
      return true;
    },
  );
  assert.throws(
    () => chooseTier(component({ trust: "untrusted", language: "wasm" }), node(ALL)),
    /no tier at or above container \(trust untrusted\) runs wasm code/,
  );
  assert.throws(
    () => chooseTier(component({ runtime: "isolate" }), node(ALL)),
    /pins runtime isolate, but trust low needs at least wasm; Kiln never lowers isolation/,
  );
  assert.throws(
    () =>
      chooseTier(
        component({ runtime: "isolate", trust: "trusted", language: "python" }),
        node(ALL),
      ),
    /the isolate tier cannot run python code/,
  );
  assert.throws(
    () => chooseTier(component({ runtime: "wasm" }), node(ALL, { wasm: "quickjs failed to load" })),
    /the wasm tier is unavailable: quickjs failed to load/,
  );
  const pinned = chooseTier(component({ runtime: "container" }), node(ALL));
  assert.deepEqual([pinned.tier, pinned.reason], ["container", "runtime container pinned"]);
});
