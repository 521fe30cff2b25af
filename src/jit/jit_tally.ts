/**
 * The JIT loop's running tallies — fallbacks to the LLM and the shadow window of a component's
 * live generated version — in the runtime store, so every node of a cluster counts into the same
 * numbers and judges rollback on the same window (one node alone keeps them across restarts).
 * A window push is read-modify-write: two nodes pushing at the same instant may lose one check,
 * which only delays a rollback decision by a check.
 */
import type { JsonValue } from "../core/mod.ts";
import type { StoreDriver } from "../state/mod.ts";
import { type ShadowState, ShadowWindow } from "./shadow.ts";

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

  /** The component's window (a fresh one when its size changed), with one more check in it. */
  async push(
    appId: string,
    componentId: string,
    size: number,
    agreed: boolean,
  ): Promise<ShadowWindow> {
    const seen = await this.window(appId, componentId);
    const window = seen && seen.window === size ? seen : new ShadowWindow(size);
    window.push(agreed);
    await this.store.set(
      scope(appId),
      `tally:shadow:${componentId}`,
      window.state() as unknown as JsonValue,
    );
    return window;
  }

  async window(appId: string, componentId: string): Promise<ShadowWindow | undefined> {
    const hit = await this.store.get(scope(appId), `tally:shadow:${componentId}`);
    return hit.found ? ShadowWindow.from(hit.value as unknown as ShadowState) : undefined;
  }

  /** A new version goes on probation: its window starts empty. */
  async reset(appId: string, componentId: string): Promise<void> {
    await this.store.delete(scope(appId), `tally:shadow:${componentId}`);
  }
}
