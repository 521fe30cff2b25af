import { LIMITS } from "../core/mod.ts";
import { renderParts } from "./_nunjucks_env.ts";
import type { TemplateRenderer } from "./renderer.ts";

/**
 * Renders on the calling thread, with the output cap but no deadline or heap limit: only for code
 * that is itself sandboxed (the LLM runner inside the container tier) and for tests. Kiln's own
 * process renders through `ProcessRenderer`.
 */
export const localRenderer: TemplateRenderer = {
  render(job) {
    try {
      return Promise.resolve(renderParts(job.parts, job.vars, LIMITS["template.output"]));
    } catch (err) {
      return Promise.reject(err);
    }
  },
};
