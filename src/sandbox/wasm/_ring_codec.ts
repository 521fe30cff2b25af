/**
 * The wasm tier's hot messages as bytes in a `SharedRing`: a `run` whose bundle the worker already
 * holds, and a `done` with an `ok` outcome. Everything else (a bundle's source, MCP calls and
 * replies, errors and kills, a record that does not fit) goes by `postMessage`, as before; a
 * `posted` record in the ring tells the worker to take its next run from there, so runs stay in
 * the order they were sent.
 */
import type { GuestLogLine, GuestOutcome, GuestSpec } from "./_protocol.ts";
import type { SharedRing } from "./_shared_ring.ts";

const RUN = 1;
const POSTED = 2;
const DONE = 3;

const RUN_HEADER = 40;
const DONE_HEADER = 12;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A run as the ring carries it: everything but the source, which the worker holds. */
export type RingRun = { id: number; spec: Omit<GuestSpec, "source"> };

/** What a worker reads from its ring: a run, or word that its next run comes by message. */
export type HostRecord = RingRun | { posted: true };

/** Writes `text` at the start of `into`; its byte length, or null when it does not fit. */
function put(text: string, into: Uint8Array): number | null {
  const { read, written } = encoder.encodeInto(text, into);
  return read === text.length ? written : null;
}

/** Appends a run whose source the worker holds; false when it does not fit (send it by message). */
export function writeRun(ring: SharedRing, id: number, spec: Omit<GuestSpec, "source">): boolean {
  const key = spec.key ?? "";
  return ring.write((into) => {
    if (into.length < RUN_HEADER) return null;
    const view = new DataView(into.buffer, into.byteOffset, RUN_HEADER);
    let at = RUN_HEADER;
    const keyBytes = put(key, into.subarray(at));
    if (keyBytes === null) return null;
    at += keyBytes;
    const entryBytes = put(spec.entry, into.subarray(at));
    if (entryBytes === null) return null;
    at += entryBytes;
    const inputBytes = put(spec.input, into.subarray(at));
    if (inputBytes === null) return null;
    view.setUint8(0, RUN);
    view.setUint8(1, spec.key === undefined ? 0 : 1);
    view.setInt32(4, id, true);
    view.setFloat64(8, spec.timeoutMs, true);
    view.setFloat64(16, spec.memoryMb, true);
    view.setFloat64(24, spec.maxOutputBytes, true);
    view.setUint32(32, keyBytes, true);
    view.setUint32(36, entryBytes, true);
    return at + inputBytes;
  });
}

/** Appends the word that the next run comes by `postMessage`. */
export function writePosted(ring: SharedRing): boolean {
  return ring.write((into) => into.length < 1 ? null : (into[0] = POSTED, 1));
}

export function readHostRecord(record: Uint8Array): HostRecord {
  if (record[0] === POSTED) return { posted: true };
  if (record[0] !== RUN) throw new Error(`unknown ring record ${record[0]}`);
  const view = new DataView(record.buffer, record.byteOffset, RUN_HEADER);
  const keyEnd = RUN_HEADER + view.getUint32(32, true);
  const entryEnd = keyEnd + view.getUint32(36, true);
  const spec: Omit<GuestSpec, "source"> = {
    entry: decoder.decode(record.subarray(keyEnd, entryEnd)),
    input: decoder.decode(record.subarray(entryEnd)),
    timeoutMs: view.getFloat64(8, true),
    memoryMb: view.getFloat64(16, true),
    maxOutputBytes: view.getFloat64(24, true),
  };
  if (view.getUint8(1) === 1) spec.key = decoder.decode(record.subarray(RUN_HEADER, keyEnd));
  return { id: view.getInt32(4, true), spec };
}

/** A finished run as the ring carries it. */
export interface RingDone {
  id: number;
  outcome: GuestOutcome;
  logs: GuestLogLine[];
}

/**
 * Appends the end of a run when its outcome is `ok`; false otherwise or when it does not fit (send
 * it by message).
 */
export function writeDone(ring: SharedRing, done: RingDone): boolean {
  const { outcome, logs } = done;
  if (outcome.kind !== "ok") return false;
  const logText = logs.length === 0 ? "" : JSON.stringify(logs);
  return ring.write((into) => {
    if (into.length < DONE_HEADER) return null;
    const jsonBytes = put(outcome.json, into.subarray(DONE_HEADER));
    if (jsonBytes === null) return null;
    const logBytes = put(logText, into.subarray(DONE_HEADER + jsonBytes));
    if (logBytes === null) return null;
    const view = new DataView(into.buffer, into.byteOffset, DONE_HEADER);
    view.setUint8(0, DONE);
    view.setUint8(1, outcome.recycle ? 1 : 0);
    view.setInt32(4, done.id, true);
    view.setUint32(8, jsonBytes, true);
    return DONE_HEADER + jsonBytes + logBytes;
  });
}

export function readDone(record: Uint8Array): RingDone {
  if (record[0] !== DONE) throw new Error(`unknown ring record ${record[0]}`);
  const view = new DataView(record.buffer, record.byteOffset, DONE_HEADER);
  const jsonEnd = DONE_HEADER + view.getUint32(8, true);
  const outcome: GuestOutcome = {
    kind: "ok",
    json: decoder.decode(record.subarray(DONE_HEADER, jsonEnd)),
  };
  if (view.getUint8(1) === 1) outcome.recycle = true;
  const logText = jsonEnd < record.length ? decoder.decode(record.subarray(jsonEnd)) : "";
  return {
    id: view.getInt32(4, true),
    outcome,
    logs: logText === "" ? [] : JSON.parse(logText) as GuestLogLine[],
  };
}
