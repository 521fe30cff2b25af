import { parseArgs } from "node:util";
import { buildRunnerImages, DockerodeApi, type RunnerKind } from "../sandbox/container/mod.ts";
import { CliError, type Io } from "./_output.ts";

export const SANDBOX_HELP = `Usage: kiln sandbox <command> [options]

Commands:
  build-images [deno|python]...  Build the container tier's runner images offline, FROM scratch,
                                 from this Kiln's Deno binary and the machine's python3 (default:
                                 both). Needs a local Docker daemon; no registry is used.

Options:
  --python PATH   The python3 to copy into the Python image (default /usr/bin/python3)
  --deno PATH     The Deno binary to copy into the Deno image (default: the one running Kiln)
  --json          Print {"built": [...], "seconds": N} on stdout; progress goes to stderr
  -h, --help      Show this help

Environment:
  DOCKER_SOCKET   The Docker Engine socket (default /var/run/docker.sock)`;

/** `kiln sandbox …`: container-tier maintenance. */
export async function sandboxCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      python: { type: "string" },
      deno: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    io.out(SANDBOX_HELP);
    return values.help ? 0 : 2;
  }
  if (sub !== "build-images") throw new CliError(`unknown sandbox command "${sub}"`, 2);
  const bad = rest.find((k) => k !== "deno" && k !== "python");
  if (bad) throw new CliError(`unknown image "${bad}" (deno or python)`, 2);
  const docker = new DockerodeApi();
  try {
    await docker.ping();
  } catch (err) {
    throw new CliError(`docker is not reachable: ${(err as Error).message}`);
  }
  const started = performance.now();
  const built = await buildRunnerImages(docker, {
    only: rest.length ? rest as RunnerKind[] : undefined,
    python: values.python,
    denoBinary: values.deno,
    // With --json, stdout carries only the result, so progress goes to stderr.
    progress: (line) => values.json ? io.err(line) : io.out(line),
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  io.out(
    values.json
      ? JSON.stringify({ built, seconds }, null, 2)
      : `built ${built.join(", ")} in ${seconds.toFixed(1)} s`,
  );
  return 0;
}
