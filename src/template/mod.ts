/** Prompt templates (contract §8): the hardened nunjucks, and where it runs (off Kiln's thread). */
export type { TemplateRenderer } from "./renderer.ts";
export { renderPrompt } from "./render_prompt.ts";
export { localRenderer } from "./local_renderer.ts";
export { ProcessRenderer } from "./process_renderer.ts";
