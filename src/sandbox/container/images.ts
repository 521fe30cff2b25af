import { dirname } from "node:path";
import { KilnError, VERSION } from "../../core/mod.ts";
import type { DockerApi } from "./docker_api.ts";
import { RUNNER_SOURCES } from "../../generated/runner_sources.ts";
import { packTar, type TarFile } from "./_tar.ts";

/** The runner images Kiln builds and its default pools use. */
export const DENO_RUNNER_IMAGE = `kiln/deno-runner:${VERSION}`;
export const PYTHON_RUNNER_IMAGE = `kiln/python-runner:${VERSION}`;
export type RunnerKind = "deno" | "python";

/** The uid:gid every sandbox process runs as (no name in /etc/passwd needed, but one is given). */
export const SANDBOX_USER = "10001:10001";

/** Small programs copied into both images, for `core.linux.executeCommand`. */
const TOOLS = [
  "/bin/echo",
  "/bin/cat",
  "/bin/ls",
  "/bin/ln",
  "/bin/sleep",
  "/usr/bin/id",
  "/bin/true",
  "/usr/bin/env",
];

const PASSWD =
  "root:x:0:0:root:/:/sbin/nologin\nkiln:x:10001:10001:kiln sandbox:/tmp:/sbin/nologin\n";
const GROUP = "root:x:0:\nkiln:x:10001:\n";

/** A digest of what goes into the images besides system files (runner sources, Deno version). */
export async function runnerDigest(): Promise<string> {
  const text = JSON.stringify([RUNNER_SOURCES, Deno.version.deno, VERSION]);
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(hash)].slice(0, 8).map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether the image is there and was built from these runner sources. */
export async function imageIsCurrent(docker: DockerApi, image: string): Promise<boolean> {
  const labels = await docker.imageLabels(image);
  return labels !== null && labels["kiln.sources"] === await runnerDigest();
}

/** Reports progress of an image build, one line at a time. */
export type Progress = (line: string) => void;

/** Builds the runner images offline, `FROM scratch`, from files on this machine. */
export async function buildRunnerImages(
  docker: DockerApi,
  opts: { only?: RunnerKind[]; progress?: Progress; denoBinary?: string; python?: string } = {},
): Promise<string[]> {
  const progress = opts.progress ?? (() => {});
  const built: string[] = [];
  for (const kind of opts.only ?? ["deno", "python"] as RunnerKind[]) {
    const tag = kind === "deno" ? DENO_RUNNER_IMAGE : PYTHON_RUNNER_IMAGE;
    progress(`[${kind}] collecting files`);
    const files = kind === "deno"
      ? await denoRootfs(opts.denoBinary ?? Deno.execPath())
      : await pythonRootfs(opts.python ?? "/usr/bin/python3");
    const context = packTar([
      {
        path: "Dockerfile",
        content: new TextEncoder().encode(dockerfile(kind, await runnerDigest())),
      },
      ...files.map((f) => ({ ...f, path: `rootfs${f.path}` })),
    ]);
    progress(`[${kind}] sending a ${(context.length / 1e6).toFixed(1)} MB build context`);
    const previous = await docker.imageId(tag);
    await docker.build(context, tag, (line) => progress(`[${kind}] ${line}`));
    const now = await docker.imageId(tag);
    if (previous && previous !== now) await docker.removeImage(previous).catch(() => {});
    progress(`[${kind}] built ${tag}`);
    built.push(tag);
  }
  return built;
}

function dockerfile(kind: RunnerKind, digest: string): string {
  const entry = kind === "deno"
    ? `["/usr/local/bin/deno", "run", "--no-prompt", "--no-config", "--no-lock", "--allow-all", "/runner/runner.js"]`
    : `["/usr/bin/python3", "-I", "-B", "/runner/runner.py"]`;
  return [
    "FROM scratch",
    "COPY rootfs/ /",
    `LABEL kiln.managed=true kiln.runner=${kind} kiln.version=${VERSION} kiln.sources=${digest}`,
    "ENV KILN_SOCKET_DIR=/kiln TMPDIR=/tmp HOME=/tmp DENO_DIR=/tmp/deno NO_COLOR=1 " +
    "DENO_NO_UPDATE_CHECK=1 PYTHONDONTWRITEBYTECODE=1 PATH=/usr/bin:/bin",
    `USER ${SANDBOX_USER}`,
    "WORKDIR /tmp",
    `ENTRYPOINT ${entry}`,
    "",
  ].join("\n");
}

/** A runner's sources, at `/runner/<file>`. */
function runnerFiles(runner: "deno-runner" | "python-runner"): TarFile[] {
  const prefix = `sandbox-images/${runner}/`;
  return Object.entries(RUNNER_SOURCES)
    .filter(([path]) => path.startsWith(prefix))
    .map(([path, body]) => text(`/runner/${path.slice(prefix.length)}`, body));
}

function text(path: string, body: string, mode = 0o644): TarFile {
  return { path, content: new TextEncoder().encode(body), mode };
}

async function file(path: string, from = path, mode?: number): Promise<TarFile> {
  const real = await Deno.realPath(from);
  const info = await Deno.stat(real);
  return {
    path,
    content: await Deno.readFile(real),
    mode: mode ?? (info.mode ?? 0o644) & 0o777,
    // Compiled modules are valid only next to sources of the mtime they were compiled from.
    mtime: (info.mtime?.getTime() ?? 0) / 1000,
  };
}

/** The shared libraries a binary needs, by the paths the loader looks them up at. */
async function libraries(binary: string): Promise<string[]> {
  const out = await new Deno.Command("ldd", { args: [binary], stderr: "piped" }).output()
    .catch((err) => {
      throw new KilnError("INTERNAL", `building images needs ldd on this machine: ${err.message}`);
    });
  const text = new TextDecoder().decode(out.stdout);
  const paths = [...text.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]);
  return paths;
}

async function base(binaries: string[]): Promise<TarFile[]> {
  const files = new Map<string, TarFile>();
  const tools = [];
  for (const tool of TOOLS) {
    if (await Deno.stat(tool).then(() => true, () => false)) tools.push(tool);
  }
  for (const bin of [...binaries, ...tools]) {
    for (const lib of await libraries(bin)) {
      if (!files.has(lib)) files.set(lib, await file(lib));
    }
  }
  for (const tool of tools) files.set(tool, await file(tool, tool, 0o755));
  const dirs = new Set<string>(["/tmp", "/kiln", "/etc", "/runner"]);
  for (const path of files.keys()) {
    for (let d = dirname(path); d !== "/"; d = dirname(d)) dirs.add(d);
  }
  return [
    ...[...dirs].sort().map((path) => ({ path, mode: path === "/tmp" ? 0o1777 : 0o755 })),
    text("/etc/passwd", PASSWD),
    text("/etc/group", GROUP),
    ...files.values(),
  ];
}

async function denoRootfs(deno: string): Promise<TarFile[]> {
  return [
    ...await base([deno]),
    { path: "/usr/local" },
    { path: "/usr/local/bin" },
    await file("/usr/local/bin/deno", deno, 0o755),
    ...runnerFiles("deno-runner"),
  ];
}

const PY_SKIP =
  /^(test|tests|idlelib|tkinter|turtledemo|ensurepip|lib2to3|site-packages|dist-packages|config-[^/]*)$/;
const PY_DYNLOAD_SKIP =
  /^(_test|_ctypes_test|_curses|readline|_dbm|_gdbm|nis|ossaudiodev|xxlimited|_tkinter)/;

async function pythonRootfs(python: string): Promise<TarFile[]> {
  const real = await Deno.realPath(python);
  const probe = await new Deno.Command(real, {
    args: [
      "-I",
      "-c",
      "import sys, sysconfig; print(sysconfig.get_paths()['stdlib']); print(sys.implementation.cache_tag)",
    ],
  }).output();
  const [stdlib, tag] = new TextDecoder().decode(probe.stdout).trim().split("\n");
  if (!stdlib) throw new KilnError("INTERNAL", `cannot find the stdlib of ${python}`);
  const files: TarFile[] = [];
  const extensions: string[] = [];
  const walk = async (dir: string) => {
    files.push({ path: dir });
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (PY_SKIP.test(entry.name)) continue;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile) {
        if (path.endsWith(".so")) {
          if (PY_DYNLOAD_SKIP.test(entry.name)) continue;
          extensions.push(path);
        }
        // Each guest is a fresh interpreter: without the stdlib's compiled modules (this
        // interpreter's, unoptimized) every guest would compile what it imports from source.
        if (entry.name.endsWith(".pyc") && !entry.name.endsWith(`.${tag}.pyc`)) continue;
        files.push(await file(path));
      }
    }
  };
  await walk(stdlib);
  return [
    ...await base([real, ...extensions]),
    await file("/usr/bin/python3", real, 0o755),
    ...files,
    ...runnerFiles("python-runner"),
  ];
}
