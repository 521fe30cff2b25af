/**
 * Messages between Kiln and its esbuild worker (`_esbuild_worker.ts`). The worker runs esbuild
 * and nothing else: every import it meets is resolved and loaded by Kiln (`_esbuild.ts`), which
 * holds the rules and the revision's files, so the worker needs no permission and no app state.
 */
import type {
  BuildOptions,
  OnLoadResult,
  OnResolveResult,
  TransformOptions,
} from "esbuild-wasm/esm/browser.js";

/** An esbuild diagnostic, as much of it as Kiln reports. */
export interface EsbuildMessage {
  text: string;
  location?: { file: string; line: number; column: number } | null;
}

/** What the app-files plugin is asked: esbuild's onResolve / onLoad arguments, trimmed. */
export type PluginCall =
  | { op: "resolve"; path: string; importer: string; kind: string }
  | { op: "load"; path: string; namespace: string };

export type PluginAnswer = OnResolveResult | OnLoadResult;

/** A build's options minus its plugins (functions stay in Kiln; the worker adds a proxy). */
export type Job =
  | { op: "build"; options: Omit<BuildOptions, "plugins"> }
  | { op: "transform"; input: string; options: TransformOptions };

export type JobResult =
  | { op: "build"; text: string; exports: string[] }
  | { op: "transform"; code: string };

export type HostToWorker =
  | { type: "init"; wasmModule: WebAssembly.Module }
  | { type: "job"; id: number; job: Job }
  | { type: "answer"; call: number; answer: PluginAnswer };

export type WorkerToHost =
  /** esbuild is ready and the job starts: its deadline runs from here. */
  | { type: "running"; id: number }
  | { type: "call"; id: number; call: number; args: PluginCall }
  | { type: "done"; id: number; result: JobResult }
  | { type: "failed"; id: number; errors?: EsbuildMessage[]; message: string }
  /** esbuild itself did not start in the worker: Kiln's trouble, not the app's code. */
  | { type: "broken"; id: number; message: string };
