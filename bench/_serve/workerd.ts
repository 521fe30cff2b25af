/**
 * workerd (Cloudflare's Workers runtime, from npm) as a comparison server: the pinned
 * `@cloudflare/workerd-linux-64` package is fetched once from the npm registry, checked against
 * its recorded integrity, and unpacked into a cache directory; each run writes a config and a
 * module worker to a temp dir and serves them on a loopback port.
 */
import { freePort, type Server, spawnServer } from "./procs.ts";

/** The workerd release compared against (npm `workerd` of the same version wraps this binary). */
export const WORKERD_VERSION = "1.20261117.1";
const PACKAGE = "@cloudflare/workerd-linux-64";
const TARBALL = `https://registry.npmjs.org/${PACKAGE}/-/workerd-linux-64-${WORKERD_VERSION}.tgz`;
const INTEGRITY =
  "sha512-gZLA8X11m/luZwn+YA3+mDu61vdxNJzpksP/QZqjydKTQ+VUCulsK5gtn9Bqst1p3KJu2kafQpJ1nDQv4B23jA==";

function cacheDir(): string {
  const home = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${home}/kiln-bench/workerd-${WORKERD_VERSION}`;
}

/** The workerd binary, fetched on first use; null (with the reason) where it cannot run. */
export async function workerdBinary(): Promise<{ path: string } | { skip: string }> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    return { skip: `no pinned workerd for ${Deno.build.os}/${Deno.build.arch}` };
  }
  const dir = cacheDir();
  const path = `${dir}/package/bin/workerd`;
  try {
    await Deno.stat(path);
    return { path };
  } catch { /* not fetched yet */ }
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    const res = await fetch(TARBALL);
    if (!res.ok) return { skip: `npm registry answered ${res.status} for ${TARBALL}` };
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    return { skip: `cannot reach the npm registry: ${(err as Error).message}` };
  }
  const digest = `sha512-${
    btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-512", bytes))))
  }`;
  if (digest !== INTEGRITY) throw new Error(`${TARBALL}: integrity ${digest}, want ${INTEGRITY}`);
  await Deno.mkdir(dir, { recursive: true });
  const tgz = `${dir}.tgz`;
  await Deno.writeFile(tgz, bytes);
  const tar = await new Deno.Command("tar", { args: ["-xzf", tgz, "-C", dir] }).output();
  await Deno.remove(tgz);
  if (!tar.success) throw new Error(`tar: ${new TextDecoder().decode(tar.stderr)}`);
  return { path };
}

/** Serves `moduleSource` (an ES module worker with a default `fetch`) with workerd. */
export async function startWorkerd(binary: string, moduleSource: string): Promise<Server> {
  const dir = await Deno.makeTempDir({ prefix: "kiln-bench-workerd-" });
  const port = freePort();
  await Deno.writeTextFile(`${dir}/worker.js`, moduleSource);
  await Deno.writeTextFile(
    `${dir}/config.capnp`,
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .bench) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const bench :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2025-01-01",
);
`,
  );
  const server = await spawnServer({
    cmd: binary,
    args: ["serve", `${dir}/config.capnp`],
    url: `http://127.0.0.1:${port}`,
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
