export { HELP, runCli } from "./cli.ts";
export { consoleIo } from "./_output.ts";
export type { Io } from "./_output.ts";
