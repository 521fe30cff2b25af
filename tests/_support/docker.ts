/** Test helpers for the Docker-backed tests: skip without Docker, fresh socket roots, images. */
import { requireService } from "./services.ts";
import type { DockerApi } from "../../src/sandbox/container/docker_api.ts";
import {
  buildRunnerImages,
  DENO_RUNNER_IMAGE,
  imageIsCurrent,
  PYTHON_RUNNER_IMAGE,
} from "../../src/sandbox/container/images.ts";

/** `{ignore}` for Docker tests; (re)builds the runner images when missing or stale. */
export async function dockerAvailable(docker: DockerApi): Promise<{ ignore: boolean }> {
  const found = await requireService("docker", async () => {
    await docker.ping();
    return true;
  }, "/var/run/docker.sock");
  if (found.ignore) return found;
  const missing: ("deno" | "python")[] = [];
  if (!await imageIsCurrent(docker, DENO_RUNNER_IMAGE)) missing.push("deno");
  if (!await imageIsCurrent(docker, PYTHON_RUNNER_IMAGE)) missing.push("python");
  if (missing.length) await buildRunnerImages(docker, { only: missing });
  return found;
}

/** A short, fresh directory for per-container socket directories. */
export function testSocketRoot(): string {
  return Deno.makeTempDirSync({ prefix: "kct-" });
}
