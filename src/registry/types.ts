import type { AppStatus, ComponentDefinition, SandboxPool } from "../models/mod.ts";
import type { DefinitionIssue } from "../state/mod.ts";

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

/** `getApplicationStatus` answer. */
export interface AppStatusInfo {
  appId: string;
  status: AppStatus;
  revision: string | null;
  reason?: string;
  invalidRevision?: { revision: string; issues: DefinitionIssue[] };
}

/** `getApplicationDetails` answer. */
export interface AppDetails extends AppStatusInfo {
  displayName: string;
  version: string;
  description?: string;
  createdAt: string;
  updatedAt: string;
  repository: string;
  configuration: Record<string, unknown>;
  sandboxPools: SandboxPool[];
  components: {
    componentId: string;
    handlerType: ComponentDefinition["handlerType"];
    runtime: ComponentDefinition["runtime"];
    trust: ComponentDefinition["trust"];
    routeMatcher?: ComponentDefinition["routeMatcher"];
    description?: string;
  }[];
}

/** `getComponentDefinition` answer (SPEC §4). */
export interface ComponentLookup {
  found: boolean;
  definition?: ComponentDefinition;
  extractedPathParameters: Record<string, string>;
  routePattern?: string;
}
