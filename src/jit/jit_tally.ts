/**
 * The JIT loop's running tallies — fallbacks to the LLM and the shadow test of a component's live
 * generated version — in the runtime store, so every node of a cluster counts into the same
 * numbers and judges rollback on the same test (one node alone keeps them across restarts).
 * A test push is read-modify-write: two nodes pushing at the same instant may lose one check,
 * which only delays a decision by a check.
 */
import type { JsonValue } from "../core/mod.ts";
import type { StoreDriver } from "../state/mod.ts";
import { type ShadowState, ShadowTest } from "./shadow.ts";

const scope = (appId: string) => `kiln:jit:${appId}`;

/** Fallback counts and shadow windows per component. */
export class JitTally {
  constructor(private readonly store: StoreDriver) {}

  async fellBack(appId: string, componentId: string): Promise<void> {
    await this.store.increment(scope(appId), `tally:fallbacks:${componentId}`, 1);
  }

  async fallbacks(appId: string, componentId: string): Promise<number> {
    const hit = await this.store.get(scope(appId), `tally:fallbacks:${componentId}`);
    return hit.found && typeof hit.value === "number" ? hit.value : 0;
  }

  /**
   * Adds one shadow check to the component's live test (a fresh one against `llmNoise` when none
   * is stored) and answers the test with what the check decided.
   */
  async push(
    appId: string,
    componentId: string,
    agreed: boolean,
    llmNoise = 0,
  ): Promise<{ test: ShadowTest; outcome: "rollback" | "proven" | null }> {
    const test = (await this.test(appId, componentId)) ?? new ShadowTest(llmNoise);
    const outcome = test.push(agreed);
    await this.#save(appId, componentId, test);
    return { test, outcome };
  }

  async test(appId: string, componentId: string): Promise<ShadowTest | undefined> {
    const hit = await this.store.get(scope(appId), `tally:shadow:${componentId}`);
    return hit.found ? ShadowTest.from(hit.value as unknown as ShadowState) : undefined;
  }

  /** A new version goes on probation: its test starts afresh against `llmNoise`. */
  async reset(appId: string, componentId: string, llmNoise = 0): Promise<void> {
    await this.#save(appId, componentId, new ShadowTest(llmNoise));
  }

  /** The version the test judged is gone (rolled back). */
  async drop(appId: string, componentId: string): Promise<void> {
    await this.store.delete(scope(appId), `tally:shadow:${componentId}`);
  }

  async #save(appId: string, componentId: string, test: ShadowTest): Promise<void> {
    await this.store.set(
      scope(appId),
      `tally:shadow:${componentId}`,
      test.state() as unknown as JsonValue,
    );
  }
}
