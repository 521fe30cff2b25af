export { createHttpHandler } from "./edge.ts";
export { listen } from "./serve.ts";
export type { Listening } from "./serve.ts";
export { gitHookHandler } from "./git_hook.ts";
export type { ClusterView } from "./types.ts";
