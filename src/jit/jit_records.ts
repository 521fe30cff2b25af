import type { Clock, JsonValue } from "../core/mod.ts";
import type { StoreDriver } from "../state/mod.ts";
import type { GateReport } from "./report.ts";

/** One step of a running generation, for progress displays and SSE. */
export interface JitProgressEvent {
  at: string;
  phase: "spec" | "coder" | "artifacts" | "tests" | "gate" | "hidden" | "activate" | "done";
  message: string;
  data?: unknown;
}

/** One generation attempt and how it went. */
export interface JitGeneration {
  generationId: string;
  appId: string;
  componentId: string;
  version?: string;
  /** `undecided`: the samples could not support a decision either way; collect more. */
  status: "running" | "activated" | "rejected" | "undecided" | "failed";
  trigger: "manual" | "rule";
  ruleId?: string;
  startedAt: string;
  finishedAt?: string;
  events: JitProgressEvent[];
  report?: GateReport;
  error?: { code: string; message: string };
}

/** A generated version of a component and what became of it. */
export interface JitVersion {
  version: string;
  createdAt: string;
  generationId: string;
  decision: "activated" | "rejected" | "undecided" | "promoted" | "rolled_back";
  agreement: number;
  lowerBound: number;
  /** How often the LLM disagreed with itself in the samples this version was judged on. */
  llmNoise?: number;
}

/** What Kiln remembers about one component's hardening. */
export interface JitComponentRecord {
  componentId: string;
  versions: JitVersion[];
  activeVersion?: string;
  /** Highest version number a generation claimed, failed ones included: numbers are never reused. */
  versionsIssued?: number;
  lastGenerationId?: string;
  rolledBackAt?: string;
  rollbackReason?: string;
}

/**
 * One decision of the oracle, the generator or an operator (contract §9: every decision recorded).
 */
export interface AuditEntry {
  at: string;
  appId: string;
  componentId?: string;
  action:
    | "RECOMMEND_JIT"
    | "TRIGGER_JIT"
    | "generation_started"
    | "generation_failed"
    | "gate_rejected"
    | "gate_undecided"
    | "activated"
    | "promoted"
    | "rolled_back";
  actor: string;
  ruleId?: string;
  reason: string;
  details?: unknown;
}

const scope = (appId: string) => `kiln:jit:${appId}`;

/** The store scopes the JIT loop keeps for an app (samples, records, audit), for deregistration. */
export function jitScopes(appId: string): string[] {
  return [scope(appId)];
}
const AUDIT_TTL_S = 365 * 86_400;

/** Generations, component records and the audit log, on the runtime store (embedded or Redis). */
export class JitRecords {
  readonly #store: StoreDriver;
  readonly #clock: Clock;
  #seq = 0;

  constructor(store: StoreDriver, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async component(appId: string, componentId: string): Promise<JitComponentRecord> {
    const hit = await this.#store.get(scope(appId), `component:${componentId}`);
    return hit.found ? hit.value as unknown as JitComponentRecord : { componentId, versions: [] };
  }

  async saveComponent(appId: string, record: JitComponentRecord): Promise<void> {
    await this.#store.set(
      scope(appId),
      `component:${record.componentId}`,
      record as unknown as JsonValue,
    );
  }

  async generation(appId: string, generationId: string): Promise<JitGeneration | undefined> {
    const hit = await this.#store.get(scope(appId), `generation:${generationId}`);
    return hit.found ? hit.value as unknown as JitGeneration : undefined;
  }

  async saveGeneration(g: JitGeneration): Promise<void> {
    await this.#store.set(
      scope(g.appId),
      `generation:${g.generationId}`,
      g as unknown as JsonValue,
    );
  }

  async audit(entry: Omit<AuditEntry, "at">): Promise<AuditEntry> {
    const now = this.#clock.now();
    const full = { at: new Date(now).toISOString(), ...entry } as AuditEntry;
    // Time, then this process's sequence: entries of one millisecond keep their order.
    const seq = String(this.#seq++ % 1e6).padStart(6, "0");
    const key = `audit:${String(now).padStart(14, "0")}-${seq}-${crypto.randomUUID().slice(0, 8)}`;
    await this.#store.set(scope(entry.appId), key, full as unknown as JsonValue, AUDIT_TTL_S);
    return full;
  }

  /** Newest first. */
  async auditLog(appId: string, limit = 100): Promise<AuditEntry[]> {
    const rows = await this.#store.list(scope(appId), "audit:");
    return rows.slice(-limit).reverse().map((r) => r.value as unknown as AuditEntry);
  }

  async saveRecommendation(appId: string, componentId: string, value: unknown): Promise<void> {
    await this.#store.set(scope(appId), `recommendation:${componentId}`, value as JsonValue);
  }

  async recommendations(appId: string): Promise<unknown[]> {
    return (await this.#store.list(scope(appId), "recommendation:")).map((r) => r.value);
  }

  /** Removes everything Kiln kept for an app (deregistration). */
  async clear(appId: string): Promise<void> {
    await this.#store.deleteScope(scope(appId));
  }
}
