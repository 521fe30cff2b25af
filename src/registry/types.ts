import type { AppStatus, ComponentDefinition, DefinitionIssue } from "../models/mod.ts";

/** What the registry persists per app; definitions themselves stay in Git. */
export interface AppRecord {
  appId: string;
  status: AppStatus;
  servedRevision: string | null;
  createdAt: string;
  updatedAt: string;
  statusReason?: string;
  /** A head that failed validation; the served revision stays as it was. */
  pendingRevision?: { revision: string; issues: DefinitionIssue[] };
}

export type { AppDetails, AppStatusInfo } from "../models/mod.ts";

/** `getComponentDefinition` answer (contract §4). */
export interface ComponentLookup {
  found: boolean;
  definition?: ComponentDefinition;
  extractedPathParameters: Record<string, string>;
  routePattern?: string;
}
