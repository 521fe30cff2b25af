/**
 * What renders an app's templates. Templates are app definitions that nunjucks compiles to
 * JavaScript, so a template can loop or allocate without bound; the renderer Kiln serves with
 * (`ProcessRenderer`) runs them in each app's own child process under a deadline, a heap limit
 * and an output cap. `localRenderer` renders on the calling thread, for code that already runs
 * inside a sandbox (the container tier's LLM runner) and for tests.
 */

/** One template to render: its source, which of the job's variable sets it sees, and its name. */
export interface RenderPart {
  source: string;
  vars: number;
  /** How errors name it (`prompt classify system`). */
  what: string;
}

/** Everything one prompt needs rendered, in one round trip. */
export interface RenderJob {
  /** Whose templates these are: renders of one app never share a process with another's. */
  appId: string;
  parts: RenderPart[];
  vars: Record<string, unknown>[];
  /** How long the render itself may take (ms), already capped by `template.ms`. */
  timeoutMs: number;
  /**
   * How long the caller can wait in all (ms), including for a free renderer and for a renderer
   * process to start; default `timeoutMs`.
   */
  waitMs?: number;
}

/** Renders jobs; answers each part's text in order, or throws a KilnError. */
export interface TemplateRenderer {
  render(job: RenderJob): Promise<string[]>;
}

/** How a render over budget is described in `details.stage`. */
export const RENDER_STAGE = "prompt template";
