/**
 * `kiln serve` as the serve benchmark runs it: its own process (`deno run -A src/main.ts serve`)
 * on a fixed loopback port and a fresh data dir, optionally under V8's CPU profiler — Kiln itself
 * and, through `KILN_DENO_PATH`, every isolate host it starts (their profiles are written when
 * they exit, at Kiln's shutdown) — or with `--perf-basic-prof` so `perf` can name JS frames.
 */
import { freePort, processTree, type Server, spawnServer } from "./procs.ts";

export const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

export interface KilnOptions {
  /** Write `.cpuprofile`s of Kiln (`<dir>/kiln`) and its isolate hosts (`<dir>/host`). */
  cpuProfDir?: string;
  /** Start V8 with `--perf-basic-prof` (a /tmp/perf-<pid>.map for `perf report`). */
  perfMap?: boolean;
  logLevel?: string;
  /** Open V8's inspector on this loopback port (Chrome DevTools Protocol, for heap profiles). */
  inspectPort?: number;
  /** `off` disables the container tier; unset, Kiln uses Docker when it answers. */
  containers?: "off";
}

export interface KilnServer extends Server {
  dataDir: string;
  /** `fetch` with the admin token. */
  admin(path: string, init?: RequestInit): Promise<Response>;
}

export async function startKiln(opts: KilnOptions = {}): Promise<KilnServer> {
  const dataDir = await Deno.makeTempDir({ prefix: "kiln-bench-serve-" });
  const port = freePort();
  const env: Record<string, string> = {
    KILN_ADMIN_TOKEN: ADMIN_TOKEN,
    KILN_LOG_LEVEL: opts.logLevel ?? "error",
  };
  if (opts.containers) env.KILN_CONTAINERS = opts.containers;
  const denoFlags: string[] = [];
  // As `deno task start` sets it: a young generation that holds start-up's allocations.
  const v8Flags = ["--min-semi-space-size=16"];
  if (opts.inspectPort) denoFlags.push(`--inspect=127.0.0.1:${opts.inspectPort}`);
  if (opts.cpuProfDir) {
    await Deno.mkdir(`${opts.cpuProfDir}/host`, { recursive: true });
    denoFlags.push("--cpu-prof", `--cpu-prof-dir=${opts.cpuProfDir}/kiln`);
    env.KILN_DENO_PATH = await profilingDeno(`${opts.cpuProfDir}/host`);
  }
  if (opts.perfMap) {
    v8Flags.push("--perf-basic-prof");
    // The hosts start with a cleared environment: a wrapper sets V8's flag for them.
    const dir = await Deno.makeTempDir({ prefix: "kiln-bench-perf-" });
    env.KILN_DENO_PATH = `${dir}/deno-perf.sh`;
    await Deno.writeTextFile(
      env.KILN_DENO_PATH,
      `#!/bin/sh\nDENO_V8_FLAGS=--perf-basic-prof exec "${Deno.execPath()}" "$@"\n`,
    );
    await Deno.chmod(env.KILN_DENO_PATH, 0o755);
  }
  const server = await spawnServer({
    cmd: Deno.execPath(),
    args: [
      "run",
      ...denoFlags,
      `--v8-flags=${v8Flags.join(",")}`,
      // As `deno task start` runs Kiln from source (ADR 0032).
      "--allow-all",
      "--unstable-lazy-dynamic-imports",
      MAIN,
      "serve",
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--no-example",
    ],
    env,
    url: `http://127.0.0.1:${port}`,
    health: "/healthz",
  });
  return {
    ...server,
    dataDir,
    admin: (path, init = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          "content-type": "application/json",
          ...init.headers,
        },
      }),
    async stop() {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A `deno` for the isolate hosts that adds `--cpu-prof`. The wrapper does not `exec`: Kiln ends a
 * host with SIGKILL, which then lands on the shell, and the host itself exits cleanly (writing
 * its profile) when its stdin closes as Kiln exits. Its stderr goes to a file: Kiln waits for the
 * host's stderr to close before it calls the host gone, and the orphan would hold it open.
 */
async function profilingDeno(dir: string): Promise<string> {
  const path = `${dir}/deno-cpu-prof.sh`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\nsub="$1"; shift\n"${Deno.execPath()}" "$sub" --cpu-prof --cpu-prof-dir="${dir}" "$@" ` +
      `2>>"${dir}/stderr.log"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

/** Registers an app through the admin API. */
export async function register(kiln: KilnServer, files: Record<string, string>): Promise<void> {
  const res = await kiln.admin("/v1/apps", { method: "POST", body: JSON.stringify({ files }) });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/** Why the container tier cannot be measured here, or null. */
export async function dockerReady(): Promise<string | null> {
  try {
    const out = await new Deno.Command("docker", {
      args: ["image", "inspect", "kiln/deno-runner:0.1.0"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success ? null : "the image kiln/deno-runner:0.1.0 is missing";
  } catch {
    return "Docker is not installed";
  }
}

/** `perf record` on Kiln's process tree while one load runs. */
export function perfDuring(dir: string | undefined, kiln: Server, name: string) {
  if (!dir) return undefined;
  return async () => {
    await Deno.mkdir(dir, { recursive: true });
    const child = new Deno.Command("perf", {
      args: [
        "record",
        "-q",
        "-F",
        "499",
        "-g",
        "-o",
        `${dir}/${name}.perf.data`,
        "-p",
        processTree(kiln.pid).join(","),
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    return async () => {
      child.kill("SIGINT");
      await child.status;
    };
  };
}
