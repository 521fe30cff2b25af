import { join } from "node:path";
import { KilnError } from "../../core/mod.ts";
import { readCapped } from "./_read_capped.ts";
import { parseAnswer } from "./_answer.ts";
import type { ContainerSpec, DockerApi } from "./docker_api.ts";
import { type CurrentExecution, type McpHandler, serveMcpSocket } from "./_mcp_bridge.ts";

/** One answer of the runner: its HTTP status and JSON body. */
export interface RunnerAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One runner container and its two sockets: Kiln's client of the runner's `runner.sock`, and the
 * `mcp.sock` Kiln serves to it. Runs one execution at a time (the pool guarantees it).
 */
export class ContainerSandbox {
  id = "";
  readonly createdAt: number;
  executions = 0;
  lastUsed: number;
  /** The image it was started from (a reconfigured pool replaces older ones). */
  image = "";
  #current: CurrentExecution | null = null;
  #client: Deno.HttpClient;
  #mcp: Deno.HttpServer<Deno.UnixAddr> | null = null;
  #destroyed = false;

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly docker: DockerApi,
    now: number,
  ) {
    this.createdAt = now;
    this.lastUsed = now;
    this.#client = Deno.createHttpClient({
      proxy: { transport: "unix", path: join(dir, "runner.sock") },
    });
  }

  /** Creates the socket directory, serves `mcp.sock`, starts the container, waits for health. */
  static async start(
    spec: Omit<ContainerSpec, "socketDir">,
    o: { docker: DockerApi; root: string; mcp: McpHandler; now: number; readyTimeoutMs: number },
  ): Promise<ContainerSandbox> {
    const dir = join(o.root, spec.name.slice(-12));
    if (join(dir, "runner.sock").length > 100) {
      throw new KilnError("INTERNAL", `the sandbox socket directory ${dir} is too long a path`);
    }
    await Deno.mkdir(dir, { recursive: true });
    await Deno.chmod(dir, 0o777);
    const sandbox = new ContainerSandbox(spec.name, dir, o.docker, o.now);
    try {
      sandbox.#mcp = serveMcpSocket(join(dir, "mcp.sock"), () => sandbox.#current, o.mcp);
      sandbox.id = await o.docker.run({ ...spec, socketDir: dir });
      await sandbox.#waitReady(o.readyTimeoutMs);
      // Both sockets are there: from now on nothing in the container may create, replace or
      // fill files in the directory, which lives on the host's disk.
      await Deno.chmod(dir, 0o755);
      return sandbox;
    } catch (err) {
      await sandbox.destroy();
      throw err;
    }
  }

  async #waitReady(timeoutMs: number): Promise<void> {
    const until = performance.now() + timeoutMs;
    let why = "";
    while (performance.now() < until) {
      if (await this.healthy(500).catch((e) => (why = String(e), false))) return;
      const state = await this.docker.inspect(this.id);
      if (!state?.running) {
        throw new KilnError("TIER_UNAVAILABLE", `the sandbox container exited while starting`, {
          exitCode: state?.exitCode,
          error: state?.error,
        });
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new KilnError("TIER_UNAVAILABLE", `the sandbox runner did not become healthy`, {
      timeoutMs,
      detail: why.slice(0, 200),
    });
  }

  /** `GET /healthz` over the runner's socket. */
  async healthy(timeoutMs = 2_000): Promise<boolean> {
    if (this.#destroyed) return false;
    const res = await fetch("http://runner/healthz", {
      client: this.#client,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json().catch(() => null);
    return res.ok && body?.ok === true;
  }

  /**
   * POSTs to the runner; while it runs, the MCP socket accepts `current`'s token. The answer is
   * read up to `maxBytes` (the container is not trusted to keep to its limits): past it, throws
   * SANDBOX_KILLED with reason `output`.
   */
  async post(
    path: "/execute" | "/command",
    body: unknown,
    signal: AbortSignal,
    current: CurrentExecution | null = null,
    maxBytes = 16 << 20,
  ): Promise<RunnerAnswer> {
    const { status, text } = await this.postRaw(path, body, signal, current, maxBytes);
    return { status, body: parseAnswer(text) };
  }

  /** `post` with the answer as text, for callers that check it before parsing. */
  async postRaw(
    path: "/execute" | "/command",
    body: unknown,
    signal: AbortSignal,
    current: CurrentExecution | null = null,
    maxBytes = 16 << 20,
  ): Promise<{ status: number; text: string }> {
    this.#current = current;
    try {
      const res = await fetch(`http://runner${path}`, {
        method: "POST",
        client: this.#client,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
      return { status: res.status, text: await readCapped(res, maxBytes) };
    } finally {
      this.#current = null;
    }
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Removes the container, stops serving its MCP socket and deletes the socket directory. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#current = null;
    const tasks: Promise<unknown>[] = [];
    if (this.id) tasks.push(this.docker.remove(this.id).catch(() => {}));
    // A tool call still running for the gone execution must not hold the removal up.
    if (this.#mcp) {
      tasks.push(Promise.race([
        this.#mcp.shutdown().catch(() => {}),
        new Promise((r) => setTimeout(r, 500)),
      ]));
    }
    await Promise.all(tasks);
    this.#client.close();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}
