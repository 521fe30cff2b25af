import { KilnError } from "../../core/mod.ts";
import type { ContainerSpec, ContainerState, ContainerSummary, DockerApi } from "./docker_api.ts";

// dockerode ships no types, and @types/dockerode drags in an old @types/node that breaks the
// project's node:* types; these are the calls used here.
interface DockerodeLike {
  getImage(name: string): { remove(o: { force: boolean }): Promise<unknown> };
  getContainer(id: string): {
    remove(o: { force: boolean; v: boolean }): Promise<unknown>;
    wait(): Promise<{ StatusCode: number }>;
  };
  createContainer(o: Record<string, unknown>): Promise<{ id: string; start(): Promise<unknown> }>;
  buildImage(stream: unknown, o: Record<string, unknown>): Promise<unknown>;
  modem: {
    followProgress(
      stream: unknown,
      done: (err: Error | null, output: { error?: string }[]) => void,
      each: (event: { stream?: string; status?: string; error?: string }) => void,
    ): void;
  };
}

interface ImageInfo {
  Id: string;
  Config?: { Labels?: Record<string, string> | null };
}
interface ContainerInfoState {
  Running: boolean;
  ExitCode: number;
  OOMKilled: boolean;
  Status: string;
  Error?: string;
}

/**
 * The Docker Engine over its Unix socket (ADR 0006). Reads — ping, image and container inspects,
 * listings, all a start-up makes — are plain GETs on Deno's own HTTP client; writes and builds
 * go through dockerode, which (with ssh2, gRPC and protobufjs) costs ~0.1–0.2 s of blocking
 * module evaluation and ~10 MB, so a node whose apps run no container never loads it.
 */
export class DockerodeApi implements DockerApi {
  readonly #socketPath: string;
  #client?: Promise<DockerodeLike>;

  constructor(socketPath = Deno.env.get("DOCKER_SOCKET") ?? "/var/run/docker.sock") {
    this.#socketPath = socketPath;
  }

  /**
   * dockerode (and its HTTP and stream dependencies) loads on the first call, so a node that never
   * reaches Docker never holds it. The specifier stays literal so `deno compile` embeds it.
   */
  get #docker(): Promise<DockerodeLike> {
    this.#client ??= import("dockerode").then((m) =>
      new m.default({ socketPath: this.#socketPath }) as unknown as DockerodeLike
    );
    return this.#client;
  }

  /** A GET on the Engine API: the parsed JSON body, or null for 404; other statuses throw. */
  async #get<T>(path: string): Promise<T | null> {
    const client = Deno.createHttpClient({ proxy: { transport: "unix", path: this.#socketPath } });
    try {
      const res = await fetch(`http://docker${path}`, { client });
      const text = await res.text();
      if (res.status === 404) return null;
      if (!res.ok) {
        throw Object.assign(new Error(`(HTTP code ${res.status}) ${text.slice(0, 300)}`), {
          statusCode: res.status,
        });
      }
      return (res.headers.get("content-type") ?? "").includes("json")
        ? JSON.parse(text) as T
        : text as T;
    } finally {
      client.close();
    }
  }

  #image(image: string): Promise<ImageInfo | null> {
    return this.#get<ImageInfo>(`/images/${encodeURIComponent(image)}/json`);
  }

  async ping(): Promise<void> {
    await this.#get("/_ping");
  }

  async imageExists(image: string): Promise<boolean> {
    return (await this.#image(image)) !== null;
  }

  async imageId(image: string): Promise<string | null> {
    return (await this.#image(image))?.Id ?? null;
  }

  async imageLabels(image: string): Promise<Record<string, string> | null> {
    const info = await this.#image(image);
    return info ? info.Config?.Labels ?? {} : null;
  }

  async run(spec: ContainerSpec): Promise<string> {
    const container = await (await this.#docker).createContainer({
      name: spec.name,
      Image: spec.image,
      Labels: spec.labels,
      Env: spec.env,
      User: spec.user,
      Cmd: spec.cmd,
      NetworkDisabled: !spec.network,
      HostConfig: {
        NetworkMode: spec.network ? "default" : "none",
        ReadonlyRootfs: true,
        Tmpfs: { "/tmp": `rw,nosuid,nodev,noexec,size=${spec.tmpfsBytes},mode=1777` },
        CapDrop: ["ALL"],
        SecurityOpt: ["no-new-privileges"],
        Memory: spec.memoryBytes,
        MemorySwap: spec.memoryBytes,
        NanoCpus: spec.nanoCpus,
        PidsLimit: spec.pidsLimit,
        // The runner is pid 1: non-dumpable, so no guest can trace it, and it reaps orphans
        // and kills every other process after each task. docker-init as pid 1 would run as the
        // sandbox user, traceable by any guest and spared by kill(-1): a place to persist in.
        Init: false,
        Binds: [`${spec.socketDir}:/kiln:rw`, ...spec.volumes],
        IpcMode: "private",
        RestartPolicy: { Name: "no" },
        LogConfig: { Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } },
      },
    });
    try {
      await container.start();
    } catch (err) {
      await this.remove(container.id);
      throw err;
    }
    return container.id;
  }

  async inspect(id: string): Promise<ContainerState | null> {
    const info = await this.#get<{ State: ContainerInfoState }>(
      `/containers/${encodeURIComponent(id)}/json`,
    );
    if (!info) return null;
    const s = info.State;
    return {
      running: s.Running,
      exitCode: s.ExitCode,
      oomKilled: s.OOMKilled,
      status: s.Status,
      error: s.Error ?? "",
    };
  }

  async remove(id: string): Promise<void> {
    try {
      await (await this.#docker).getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 409) return; // gone, or removal already in progress
      throw err;
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
    const found = await this.#get<
      { Id: string; Names: string[]; Labels: Record<string, string> | null; State: string }[]
    >(`/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`) ?? [];
    return found.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? "").replace(/^\//, ""),
      labels: c.Labels ?? {},
      state: c.State,
    }));
  }

  async wait(id: string): Promise<number> {
    const out = await (await this.#docker).getContainer(id).wait();
    return out.StatusCode;
  }

  async build(context: Uint8Array, tag: string, onLine: (line: string) => void): Promise<void> {
    const { Readable } = await import("node:stream");
    const docker = await this.#docker;
    const stream = await docker.buildImage(Readable.from([context]), {
      t: tag,
      rm: true,
      forcerm: true,
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, output: { error?: string }[]) => {
          const failed = err ?? output.find((o) => o.error)?.error;
          if (failed) reject(new KilnError("INTERNAL", `docker build failed: ${failed}`));
          else resolve();
        },
        (event: { stream?: string; status?: string; error?: string }) => {
          const line = (event.stream ?? event.status ?? event.error ?? "").trimEnd();
          if (line) onLine(line);
        },
      );
    });
  }

  async removeImage(image: string, opts: { force?: boolean } = {}): Promise<void> {
    try {
      await (await this.#docker).getImage(image).remove({ force: opts.force ?? false });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number })?.statusCode;
}
