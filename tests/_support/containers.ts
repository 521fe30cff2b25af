/**
 * Helpers for the container-tier integration tests: a tier on the real dockerd with its own
 * instance label and socket root, and a look at the containers it owns (never anyone else's).
 */
import assert from "node:assert/strict";
import Dockerode from "dockerode";
import { KilnError, silentLogger } from "../../src/core/mod.ts";
import {
  ContainerTier,
  type ContainerTierOptions,
  DockerodeApi,
} from "../../src/sandbox/container/mod.ts";
import { dockerAvailable } from "./docker.ts";
import { DEFAULT_LIMITS, type ExecutionJob, type ExecutionLimits } from "../../src/sandbox/mod.ts";
import { executeRequest, guestCode, RecordingHost } from "../../src/sandbox/tier_common_case.ts";

export const docker = new DockerodeApi();
/** The raw engine, for inspecting HostConfig in assertions. */
export const engine = new Dockerode({ socketPath: "/var/run/docker.sock" }) as unknown as {
  getContainer(id: string): {
    inspect(): Promise<Record<string, Record<string, unknown>>>;
    kill(): Promise<unknown>;
  };
};

/** `{ignore}` for a Docker test file (builds the runner images when stale). */
export const dockerTests = (): Promise<{ ignore: boolean }> => dockerAvailable(docker);

/** Runs `fn` with a fresh tier; closes it and checks nothing of it is left running. */
export async function withTier(
  opts: Partial<ContainerTierOptions>,
  fn: (tier: ContainerTier) => Promise<void>,
): Promise<void> {
  const tier = new ContainerTier({
    docker,
    logger: silentLogger,
    socketRoot: Deno.makeTempDirSync({ prefix: "kct-" }),
    maintenanceIntervalMs: 0,
    ...opts,
  });
  try {
    await tier.ready();
    await fn(tier);
  } finally {
    await tier.close();
    assert.deepEqual(await ownContainers(tier), [], "the tier left containers behind");
  }
}

/** Containers labelled with this tier's instance id. */
export async function ownContainers(tier: ContainerTier) {
  return await docker.list({ "kiln.managed": "true", "kiln.instance": tier.instance.id });
}

/** Polls until `check` holds (Docker state changes asynchronously). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000, what = "") {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what || "a condition"}`);
}

/** A JavaScript job for app `appId`. */
export function jsJob(
  body: string,
  o: { appId?: string; host?: RecordingHost; limits?: Partial<ExecutionLimits> } = {},
): ExecutionJob {
  return {
    request: executeRequest(o.appId ?? "ct-app"),
    code: guestCode(body, "esm"),
    limits: { ...DEFAULT_LIMITS, timeoutMs: 5_000, ...o.limits },
    host: o.host ?? new RecordingHost(),
  };
}

/** A Python job: `source` defines `handle_request(request_data, context)`. */
export function pyJob(
  source: string,
  o: { appId?: string; host?: RecordingHost; limits?: Partial<ExecutionLimits>; input?: unknown } =
    {},
): ExecutionJob {
  return {
    request: executeRequest(o.appId ?? "ct-app", o.input),
    code: { kind: "python", source, entry: "handle_request", hash: String(source.length) },
    limits: { ...DEFAULT_LIMITS, timeoutMs: 5_000, ...o.limits },
    host: o.host ?? new RecordingHost(),
  };
}

/** A host whose `hold` tool calls wait until the test lets them go. */
export class HoldingHost extends RecordingHost {
  readonly #held: (() => void)[] = [];
  #arrived: (() => void)[] = [];
  override callTool(tool: string, params: unknown): Promise<unknown> {
    if (tool !== "hold") return super.callTool(tool, params);
    this.calls.push({ tool, params });
    for (const a of this.#arrived.splice(0)) a();
    return new Promise((resolve) => this.#held.push(() => resolve({ held: params })));
  }
  async waitFor(n: number): Promise<void> {
    while (this.#held.length < n) await new Promise<void>((r) => this.#arrived.push(r));
  }
  releaseAll(): void {
    for (const go of this.#held.splice(0)) go();
  }
}

/** Asserts a KilnError with `code` (and `details.reason`). */
export function kilnError(code: string, reason?: string) {
  return (err: unknown) => {
    assert.ok(err instanceof KilnError, String(err));
    assert.equal(err.code, code, err.message);
    if (reason) assert.equal((err.details as { reason?: string }).reason, reason, err.message);
    return true;
  };
}

export { RecordingHost };
