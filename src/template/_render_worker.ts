/**
 * The render worker: one per concurrent render inside an app's renderer process (see
 * `_host_program.ts`). It renders one job at a time with the hardened nunjucks and answers the
 * texts or the error; the host terminates it at the job's deadline. Bundled into
 * `src/generated/render_worker.bundle.js` (`deno task workers`) so the permissionless host can
 * start it from a blob: URL.
 */
import { KilnError } from "../core/errors/mod.ts";
import { renderParts } from "./_nunjucks_env.ts";
import type { RenderPart } from "./renderer.ts";

interface Job {
  parts: RenderPart[];
  vars: Record<string, unknown>[];
  maxChars: number;
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<Job>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (event) => {
  const { parts, vars, maxChars } = event.data;
  try {
    scope.postMessage({ texts: renderParts(parts, vars, maxChars) });
  } catch (err) {
    const error = err instanceof KilnError
      ? { code: err.code, message: err.message, details: err.details }
      : { code: "PROMPT_RENDER_FAILED", message: String((err as Error)?.message ?? err) };
    scope.postMessage({ error });
  }
};

// Loaded: the host starts a job's clock only from here.
scope.postMessage({ loaded: true });
