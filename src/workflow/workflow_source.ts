/**
 * Workflows as Kiln serves them: the app's serving snapshot for its revision and configuration,
 * and `state/workflows/<id>.yaml` read at a run's revision, so a run keeps the definition it
 * started with even after the app changes (and after a restart).
 */
import { KilnError, quote } from "../core/mod.ts";
import type { Registry } from "../registry/mod.ts";
import type { DefinitionStore } from "../state/mod.ts";
import { loadWorkflow } from "./loader.ts";
import type { WorkflowSource } from "./seams.ts";
import type { CompiledWorkflow } from "./types.ts";

const CACHE_SIZE = 256;

/** A {@link WorkflowSource} over the registry and the definition store. */
export function registryWorkflowSource(
  registry: Pick<Registry, "getApplicationStatus" | "snapshot">,
  definitions: Pick<DefinitionStore, "getDefinitionFileContent">,
): WorkflowSource {
  const cache = new Map<string, Promise<CompiledWorkflow>>();
  const read = async (appId: string, workflowId: string, revision: string) => {
    for (const ext of ["yaml", "yml"]) {
      const file = `workflows/${workflowId}.${ext}`;
      const got = await definitions.getDefinitionFileContent(appId, file, revision);
      if (got.found && got.content !== undefined) return loadWorkflow(file, got.content);
    }
    throw new KilnError(
      "NOT_FOUND",
      `app ${quote(appId)} has no workflow ${quote(workflowId)} at revision ${quote(revision)}`,
    );
  };
  return {
    app(appId) {
      const { status } = registry.getApplicationStatus(appId);
      if (status !== "ACTIVE" && status !== "DEGRADED") {
        throw new KilnError("UNAVAILABLE", `app ${quote(appId)} is ${status} and runs nothing`);
      }
      const snapshot = registry.snapshot(appId);
      return { revision: snapshot.revision, configuration: snapshot.definition.configuration };
    },
    workflow(appId, workflowId, revision) {
      const key = `${appId}\n${revision}\n${workflowId}`;
      let hit = cache.get(key);
      if (!hit) {
        hit = read(appId, workflowId, revision);
        hit.catch(() => cache.delete(key));
        if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(key, hit);
      }
      return hit;
    },
  };
}
