/**
 * Entry point of a wasm-tier worker (a Deno worker with no permissions). It keeps QuickJS wasm
 * instances loaded, one per memory limit in use, and runs one execution at a time, each in a
 * fresh QuickJS runtime and context. MCP calls go out to the main thread as messages and their
 * replies come back the same way.
 */
import { DEFAULT_LIMITS } from "../tier.ts";
import { GuestRun } from "./_guest_run.ts";
import type { GuestOutcome, GuestSpec, HostToWorker, WorkerToHost } from "./_protocol.ts";
import { QuickJsInstance } from "./_quickjs_instance.ts";

/** Instances kept per worker; each holds a linear memory sized for one memory limit. */
const MAX_INSTANCES = 3;

const port = self as unknown as {
  onmessage: ((event: MessageEvent<HostToWorker>) => void) | null;
  postMessage(message: WorkerToHost): void;
};
const instances = new Map<number, Promise<QuickJsInstance>>();
/** Memory limits whose instance has finished loading (a run on them starts at once). */
const ready = new Set<number>();
let current: { id: number; guest: GuestRun } | null = null;

function instanceFor(memoryMb: number): Promise<QuickJsInstance> {
  const found = instances.get(memoryMb);
  if (found) {
    instances.delete(memoryMb);
    instances.set(memoryMb, found);
    return found;
  }
  const created = QuickJsInstance.create(memoryMb);
  created.catch(() => instances.get(memoryMb) === created && instances.delete(memoryMb));
  ready.delete(memoryMb);
  instances.set(memoryMb, created);
  for (const key of instances.keys()) {
    if (instances.size <= MAX_INSTANCES) break;
    instances.delete(key);
    ready.delete(key);
  }
  return created;
}

async function run(id: number, spec: GuestSpec): Promise<void> {
  let outcome: GuestOutcome;
  let guest: GuestRun | undefined;
  try {
    const cold = !ready.has(spec.memoryMb);
    if (cold) port.postMessage({ type: "loading", id });
    const loading = instanceFor(spec.memoryMb);
    const instance = await loading;
    ready.add(spec.memoryMb);
    guest = new GuestRun(instance, spec, {
      call: (callId, tool, params, logs) =>
        port.postMessage({ type: "call", id, callId, tool, params, logs }),
    });
    current = { id, guest };
    if (cold) {
      // The host's watchdog runs from the deadline again only once this message is out; a
      // guest stuck in one long host call would hold it back otherwise.
      port.postMessage({ type: "started", id });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    outcome = await guest.run();
    if (outcome.recycle && instances.get(spec.memoryMb) === loading) {
      instances.delete(spec.memoryMb);
      ready.delete(spec.memoryMb);
    }
  } catch (err) {
    const message = `the QuickJS worker failed: ${err instanceof Error ? err.message : err}`;
    outcome = { kind: "killed", reason: "crash", message };
  }
  current = null;
  port.postMessage({ type: "done", id, outcome, logs: guest?.takeLogs() ?? [] });
}

port.onmessage = ({ data }) => {
  if (data.type === "run") void run(data.id, data.spec);
  else if (data.type === "reply" && current?.id === data.id) {
    current.guest.deliver(data.callId, data.reply);
  }
};

try {
  await instanceFor(DEFAULT_LIMITS.memoryMb);
  ready.add(DEFAULT_LIMITS.memoryMb);
  port.postMessage({ type: "ready" });
} catch (err) {
  port.postMessage({ type: "fatal", message: err instanceof Error ? err.message : String(err) });
}
