/**
 * The WIT world a Kiln handler component targets. A component exports `handle` (or another
 * function of the same shape, named by the component's `entry`), receiving the JSON of
 * `requestData` and `context` exactly as a JavaScript handler receives them, and answering
 * `ok(json)` for the result data or `err(text)` for an application error, where `text` is either
 * `{"code": ..., "message": ...}` JSON or a plain message. Its only way out is `kiln:host`: the
 * same `mcp.call` and `log` the JavaScript SDK offers.
 */
export const KILN_HANDLER_WIT = `package kiln:handler@0.1.0;

world handler {
  import kiln:host/mcp@0.1.0;
  import kiln:host/log@0.1.0;
  export handle: func(request-json: string, context-json: string) -> result<string, string>;
}

package kiln:host@0.1.0 {
  interface mcp {
    /// Runs an MCP tool as this execution: ok(structuredContent JSON) or err({code, message} JSON).
    call: func(tool: string, params-json: string) -> result<string, string>;
  }
  interface log {
    enum level { debug, info, warn, error }
    log: func(level: level, message: string);
  }
}
`;

/** The world name inside KILN_HANDLER_WIT. */
export const KILN_HANDLER_WORLD = "handler";

/** Import names (as jco keys them, version stripped) the runner binds to the execution host. */
export const KILN_HOST_IMPORTS = { mcp: "kiln:host/mcp", log: "kiln:host/log" } as const;

/** The one import that suspends the guest while the host works (JSPI). */
export const KILN_ASYNC_IMPORTS = ["kiln:host/mcp@0.1.0#call"];

/** The signature every handler export has, parameter names aside (as `wasm-tools` prints it). */
export const KILN_HANDLER_SIGNATURE = "func(string, string) -> result<string, string>";

/** What `kiln wit --json` prints of a world: where it lives, what it imports and exports. */
export interface WorldInfo {
  package: string;
  world: string;
  imports: string[];
  exports: { name: string; signature: string; wit: string }[];
  wit: string;
}

/** The worlds a component may implement, by world name. */
export const KILN_WORLDS: Record<string, WorldInfo> = {
  [KILN_HANDLER_WORLD]: {
    package: "kiln:handler@0.1.0",
    world: KILN_HANDLER_WORLD,
    imports: ["kiln:host/mcp@0.1.0", "kiln:host/log@0.1.0"],
    exports: [{
      name: "handle",
      signature: KILN_HANDLER_SIGNATURE,
      wit: "handle: func(request-json: string, context-json: string) -> result<string, string>",
    }],
    wit: KILN_HANDLER_WIT,
  },
};
