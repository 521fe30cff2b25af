/** Prompt templates (SPEC §8): the hardened nunjucks, and where it runs (off Kiln's thread). */
export { RENDER_STAGE } from "./renderer.ts";
export type { RenderJob, RenderPart, TemplateRenderer } from "./renderer.ts";
export { renderPrompt } from "./render_prompt.ts";
export type { PromptInput, PromptMessage } from "./render_prompt.ts";
export { localRenderer } from "./local_renderer.ts";
export { ProcessRenderer } from "./process_renderer.ts";
export type { ProcessRendererOptions } from "./process_renderer.ts";
