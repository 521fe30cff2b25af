import { KilnError } from "../core/mod.ts";
import {
  type DefinitionIssue,
  type PushDecision,
  type PushedObjects,
  type PushGate,
  type RefUpdate,
  SERVED_REF,
  ZERO_OID,
} from "../state/mod.ts";
import type { Registry } from "./registry.ts";

/** How many problems a refused push lists; the rest are counted. */
const MAX_LISTED = 20;

/**
 * The single-node push gate: an update of the served branch goes in only when its revision
 * would serve, checked as the API checks a write; other refs are only held to the size policy
 * the hook already applied. Cluster mode wraps this to publish what it accepts.
 */
export class LocalPushGate implements PushGate {
  constructor(readonly registry: Registry) {}

  async check(
    appId: string,
    updates: readonly RefUpdate[],
    objects: PushedObjects,
  ): Promise<PushDecision> {
    if (!this.registry.listApplications().some((a) => a.appId === appId)) {
      return { accepted: false, messages: [`kiln: no app "${appId}" is registered`] };
    }
    const messages: string[] = [];
    let accepted = true;
    for (const update of updates) {
      if (update.ref !== SERVED_REF) continue;
      if (update.new === ZERO_OID) {
        accepted = false;
        messages.push(`kiln: ${SERVED_REF} is what ${appId} serves; it cannot be deleted`);
        continue;
      }
      const issues = await this.registry.pushedRevisionIssues(appId, update.new, objects);
      const short = update.new.slice(0, 12);
      if (issues.length === 0) {
        messages.push(`kiln: ${short} is valid; ${appId} serves it next`);
        continue;
      }
      accepted = false;
      messages.push(
        `kiln: refusing ${short} for ${update.ref}: ${issues.length} problem${
          issues.length === 1 ? "" : "s"
        }`,
      );
      for (const issue of issues.slice(0, MAX_LISTED)) messages.push(`kiln:   ${issueLine(issue)}`);
      if (issues.length > MAX_LISTED) {
        messages.push(`kiln:   … and ${issues.length - MAX_LISTED} more`);
      }
    }
    return { accepted, messages };
  }
}

/** One problem as the API reports it: `state/<file> at <field>: <message> (<budget>)`. */
export function issueLine(issue: DefinitionIssue): string {
  const file = issue.path ? `state/${issue.path}` : "state/";
  const at = issue.field ? ` at ${issue.field}` : "";
  const budget = issue.limit ? ` (${issue.limit})` : "";
  return `${file}${at}: ${issue.message}${budget}`.replaceAll(/[\r\n]+/g, " ").slice(0, 500);
}

/** Publishes an accepted push's new head (cluster mode: a compare-and-swap on the shared head). */
export type PushPublisher = (
  appId: string,
  objects: PushedObjects,
  expected: string | null,
  next: string,
) => Promise<void>;

/**
 * Cluster mode's gate: what `inner` accepts is published before Git takes it, so a push that
 * lost to another node's write is refused (fetch and retry) instead of being undone later.
 */
export function publishingPushGate(inner: PushGate, publish: PushPublisher): PushGate {
  return {
    async check(appId, updates, objects) {
      const decision = await inner.check(appId, updates, objects);
      if (!decision.accepted) return decision;
      for (const update of updates) {
        if (update.ref !== SERVED_REF || update.new === ZERO_OID) continue;
        const expected = update.old === ZERO_OID ? null : update.old;
        try {
          await publish(appId, objects, expected, update.new);
        } catch (err) {
          if (!(err instanceof KilnError && err.code === "CONFLICT")) throw err;
          const won = (err.details as { currentRevision?: string } | undefined)?.currentRevision;
          const current = won?.slice(0, 12) ?? "another revision";
          return {
            accepted: false,
            messages: [
              `kiln: another node moved ${SERVED_REF} to ${current} first; fetch, rebase and push again`,
            ],
          };
        }
      }
      return decision;
    },
  };
}
