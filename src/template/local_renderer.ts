import { LIMITS } from "../core/mod.ts";
import type { TemplateRenderer } from "./renderer.ts";

/** nunjucks loads on the first local render: Kiln's own process never renders locally. */
let env: Promise<typeof import("./_nunjucks_env.ts")> | undefined;

/**
 * Renders on the calling thread, with the output cap but no deadline or heap limit: only for code
 * that is itself sandboxed (the LLM runner inside the container tier) and for tests. Kiln's own
 * process renders through `ProcessRenderer`.
 */
export const localRenderer: TemplateRenderer = {
  async render(job) {
    const { renderParts } = await (env ??= import("./_nunjucks_env.ts"));
    return renderParts(job.parts, job.vars, LIMITS["template.output"]);
  },
};
