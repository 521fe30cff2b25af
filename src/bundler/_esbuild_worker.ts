/**
 * The worker thread esbuild runs on. esbuild's wasm build works synchronously for as long as a
 * build takes (seconds on a megabyte of TypeScript), so on Kiln's main thread one app's build
 * would stall every app. Here it runs with `worker: false` (esbuild's own worker is a classic
 * one, which Deno does not start) on the compiled module Kiln posts. Imports go back to Kiln
 * by message; this thread has no permissions and no files. Protocol: `_esbuild_protocol.ts`.
 * Bundled into `src/generated/esbuild_worker.bundle.js` by `deno task workers`.
 */
import * as esbuild from "esbuild-wasm/esm/browser.js";
import type {
  EsbuildMessage,
  HostToWorker,
  JobResult,
  PluginAnswer,
  PluginCall,
  WorkerToHost,
} from "./_esbuild_protocol.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HostToWorker>) => void) | null;
  postMessage(message: WorkerToHost): void;
};
const post = (message: WorkerToHost) => scope.postMessage(message);

let ready: Promise<void> | null = null;
let nextCall = 1;
const calls = new Map<number, (answer: PluginAnswer) => void>();

/** The app-files plugin, answered by Kiln: one round trip per import resolved or file loaded. */
function proxy(id: number): esbuild.Plugin {
  const ask = (args: PluginCall) =>
    new Promise<PluginAnswer>((resolve) => {
      const call = nextCall++;
      calls.set(call, resolve);
      post({ type: "call", id, call, args });
    });
  return {
    name: "kiln-app-files",
    setup(build) {
      build.onResolve(
        { filter: /.*/ },
        ({ path, importer, kind }) => ask({ op: "resolve", path, importer, kind }),
      );
      build.onLoad({ filter: /.*/ }, ({ path, namespace }) => ask({ op: "load", path, namespace }));
    },
  };
}

async function run(id: number, job: HostToWorker & { type: "job" }): Promise<JobResult> {
  await ready;
  if (job.job.op === "transform") {
    return {
      op: "transform",
      code: (await esbuild.transform(job.job.input, job.job.options)).code,
    };
  }
  const result = await esbuild.build({
    ...job.job.options,
    write: false,
    metafile: true,
    plugins: [proxy(id)],
  });
  const output = Object.values(result.metafile.outputs)[0];
  return { op: "build", text: result.outputFiles[0].text, exports: output?.exports ?? [] };
}

scope.onmessage = ({ data }) => {
  if (data.type === "init") {
    // A first build warms esbuild (0.1-0.5 s): the worker's start-up cost, not the first
    // build's, whose deadline runs from its own start.
    ready = esbuild.initialize({ wasmModule: data.wasmModule, worker: false })
      .then(() =>
        esbuild.build({
          stdin: { contents: "export const a = 1;", loader: "ts" },
          bundle: true,
          format: "esm",
          write: false,
          metafile: true,
        })
      ).then(() => {});
    return;
  }
  if (data.type === "answer") {
    calls.get(data.call)?.(data.answer);
    calls.delete(data.call);
    return;
  }
  const { id } = data;
  const started = ready ?? Promise.reject(new Error("esbuild was not initialised"));
  started.then(() => {
    post({ type: "running", id });
    return run(id, data);
  }, (err) => {
    post({ type: "broken", id, message: String((err as Error)?.message ?? err) });
    return null;
  }).then((result) => result && post({ type: "done", id, result }), (err) => {
    const raw = (err as { errors?: EsbuildMessage[] })?.errors;
    post({
      type: "failed",
      id,
      message: String((err as Error)?.message ?? err),
      ...(Array.isArray(raw)
        ? {
          errors: raw.map(({ text, location }) => ({
            text,
            location: location
              ? { file: location.file, line: location.line, column: location.column }
              : null,
          })),
        }
        : {}),
    });
  });
};
