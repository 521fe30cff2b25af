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
    progress: (line) => io.out(line),
  });
  io.out(`built ${built.join(", ")} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
