export {
  loadNodeBuiltins,
  nodeChildProcess,
  nodeCrypto,
  nodeFs,
  nodeProcess,
  nodeTimers,
  nodeZlib,
} from "./node_builtins.ts";
