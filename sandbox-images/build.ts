/**
 * Builds the Kiln runner images offline, `FROM scratch`, from the Deno binary running this script
 * and the machine's python3 (with the shared libraries ldd lists and its stdlib). Same as
 * `kiln sandbox build-images`. Usage: deno run -A sandbox-images/build.ts [deno|python]...
 */
import { buildRunnerImages, DockerodeApi, type RunnerKind } from "../src/sandbox/container/mod.ts";

const only = Deno.args.filter((a): a is RunnerKind => a === "deno" || a === "python");
await buildRunnerImages(new DockerodeApi(), {
  only: only.length ? only : undefined,
  progress: (line) => console.log(line),
});
