/** The fake's stored resources: projects, pools, providers, custom roles and policies. */

import { GoogleApiError } from "./errors.js";

export interface FakeProject {
  projectId: string;
  projectNumber: string;
}

export type LifecycleState = "ACTIVE" | "DELETED";

/** Soft-deleted pools and providers stay restorable for 30 days. */
export const SOFT_DELETE_DAYS = 30;

interface Lifecycle {
  state: LifecycleState;
  /** False until the create operation completes: the ID is reserved but reads return 404. */
  visible: boolean;
  /** Name of an operation still running on the resource; other writes get 409 ABORTED. */
  busyWith?: string;
  deletedAt?: number;
}

export interface StoredProvider extends Lifecycle {
  id: string;
  name: string;
  displayName: string;
  description: string;
  disabled: boolean;
  attributeMapping: Record<string, string>;
  attributeCondition: string;
  oidc: { issuerUri: string; allowedAudiences: string[]; jwksJson: string };
}

export interface StoredPool extends Lifecycle {
  id: string;
  name: string;
  displayName: string;
  description: string;
  disabled: boolean;
  providers: Map<string, StoredProvider>;
}

export interface StoredRole {
  roleId: string;
  name: string;
  title: string;
  description: string;
  includedPermissions: string[];
  stage: string;
  etag: string;
  deleted: boolean;
  deletedAt?: number;
  /** Deleted more than 7 days ago: not listed, not restorable, and its ID still reserved. */
  purging: boolean;
}

export interface StoredCondition {
  expression: string;
  title?: string;
  description?: string;
  location?: string;
}

export interface StoredBinding {
  role: string;
  members: string[];
  condition?: StoredCondition;
}

export interface StoredPolicy {
  version: number;
  etag: string;
  bindings: StoredBinding[];
}

export interface ProjectState {
  project: FakeProject;
  pools: Map<string, StoredPool>;
  roles: Map<string, StoredRole>;
  policy: StoredPolicy;
  /** Milliseconds before a long-running operation on this project reports done. */
  operationDelayMs: number;
}

/** All projects of the fake, found by ID or by number as Google accepts both. */
export class FakeState {
  private readonly byKey = new Map<string, ProjectState>();
  private etagCounter = 0;

  constructor(projects: readonly FakeProject[], operationDelayMs: number) {
    for (const project of projects) {
      const state: ProjectState = {
        project,
        pools: new Map(),
        roles: new Map(),
        policy: { version: 1, etag: "", bindings: [{ role: "roles/owner", members: [`user:owner@${project.projectId}.example.com`] }] },
        operationDelayMs,
      };
      state.policy.etag = this.nextEtag();
      this.byKey.set(project.projectId, state);
      this.byKey.set(project.projectNumber, state);
    }
  }

  projects(): ProjectState[] {
    return [...new Set(this.byKey.values())];
  }

  /** Returns the project named by an ID or number. An unknown project is 403, because Google does not reveal whether it exists. */
  project(key: string, permission: string): ProjectState {
    const state = this.byKey.get(key);
    if (state === undefined) {
      throw new GoogleApiError("PERMISSION_DENIED", `Permission '${permission}' denied on resource 'projects/${key}' (or it may not exist).`, "IAM_PERMISSION_DENIED");
    }
    return state;
  }

  /** Returns a fresh etag: base64 of a counter, opaque to clients as real etags are. */
  nextEtag(): string {
    this.etagCounter += 1;
    return Buffer.from(`BwY${this.etagCounter.toString(16).padStart(8, "0")}`).toString("base64");
  }
}
