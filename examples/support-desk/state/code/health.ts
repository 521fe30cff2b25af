/** The parts of the execution context this handler reads (contract §5). */
interface Context {
  appId: string;
  applicationInfo: { version: string; revision: string };
}

/** GET /health: proves the app's code path runs, and which revision answers. */
export function health(_requestData: unknown, context: Context) {
  return {
    status: "ok",
    appId: context.appId,
    version: context.applicationInfo.version,
    revision: context.applicationInfo.revision,
  };
}
