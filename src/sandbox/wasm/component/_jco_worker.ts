/**
 * The worker thread that runs jco's own tools (reading a component's WIT, generating its
 * bindings): both are synchronous wasm calls that take seconds on an engine-carrying component,
 * which on Kiln's main thread would stall every app. Protocol: `_jco_tools.ts`.
 */
import { componentWit } from "@bytecodealliance/jco-transpile/wasm-tools";
import { $init, generate } from "@bytecodealliance/jco-transpile/component";
import type { JcoJob, JcoMessage, JcoReply } from "./_jco_tools.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<JcoJob>) => void) | null;
  postMessage(message: JcoMessage, transfer?: Transferable[]): void;
};
const reply = (message: JcoReply, transfer: ArrayBuffer[] = []) =>
  scope.postMessage(message, transfer);

scope.onmessage = async ({ data: job }) => {
  try {
    if (job.op === "wit") {
      reply({ id: job.id, ok: true, value: await componentWit(job.bytes) });
      return;
    }
    await $init;
    const out = generate(job.bytes, job.options as Parameters<typeof generate>[1]);
    const transfer = [...new Set(out.files.map(([, content]) => content.buffer as ArrayBuffer))];
    reply({ id: job.id, ok: true, value: out }, transfer);
  } catch (err) {
    // jco's tools throw a component-model error whose text is its `payload`.
    const text = err && typeof err === "object" && "payload" in err
      ? String(err.payload)
      : String((err as Error)?.message ?? err);
    reply({ id: job.id, ok: false, error: text });
  }
};

// Loaded: a job's deadline starts when it is handed over, not while the worker starts.
scope.postMessage({ ready: true });
