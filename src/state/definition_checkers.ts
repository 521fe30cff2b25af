import type { DefinitionIssue } from "../models/mod.ts";

/**
 * A check that a layer above state knows how to make (the workflow engine's targets,
 * expressions and paths), run at commit on a definition that already passed its zod schema.
 * `path` is relative to `state/`; issues name that path.
 */
export type DefinitionChecker = (path: string, value: Record<string, unknown>) => DefinitionIssue[];

/**
 * The checks handed to the definition store, keyed by definition kind. State knows the file
 * layout and the schemas; what a kind means is checked by whoever owns it, wired in `kiln.ts`.
 * A kind without a checker gets the schema checks only.
 */
export interface DefinitionCheckers {
  /** `workflows/<id>.yaml`. */
  readonly workflow?: DefinitionChecker;
  /** `component_registry.yaml` (the registry's route table). */
  readonly componentRegistry?: DefinitionChecker;
  /**
   * Readies the checker of `kind` before a commit checks a file of that kind: its code may load
   * on first use (the workflow engine's expression language does, ADR 0025).
   */
  readonly ready?: (kind: DefinitionKind) => Promise<void>;
}

/** The definition kinds with a handed-in checker. */
export type DefinitionKind = "workflow" | "componentRegistry";
