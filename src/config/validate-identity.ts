import type { FindingSink } from "./diagnostics.js";
import { gcpRoleId, MAX_GCP_ROLE_ID_LENGTH, MIN_GCP_ROLE_ID_LENGTH } from "./names.js";
import { quote } from "./quote.js";

/** `service.resource.verb`, such as `storage.objects.get` or `iam.serviceAccounts.actAs`. */
const GCP_PERMISSION = /^[a-z][a-z0-9]*\.[a-zA-Z][a-zA-Z0-9]*\.[a-zA-Z][a-zA-Z0-9]*$/;

/** Characters AWS accepts in a role description: tab, newline, return and Latin-1 printables. */
const AWS_DESCRIPTION = /^[\t\n\r\u0020-\u007E\u00A1-\u00FF]*$/;

/**
 * Checks the provider-independent parts of a WorkloadIdentity and its Google Cloud
 * permissions. Runs only on documents that passed the schema. The AWS policy is checked
 * separately because that check reads the IAM action catalog.
 */
export function validateIdentityDocument(document: Record<string, unknown>, sink: FindingSink): void {
  const metadata = document.metadata as Record<string, unknown>;
  const spec = document.spec as Record<string, unknown>;
  const name = metadata.name as string;
  const scope = spec.scope as Record<string, unknown> | undefined;

  if (scope === undefined) {
    sink.warning(["spec"], "scope-missing", "has no scope, so the identity is available to no workload; add spec.scope.projects");
  } else if (scope.projects === undefined) {
    sink.warning(["spec", "scope"], "scope-no-projects", 'has no projects, so the identity is available to no workload; add projects: ["*"] or a list');
  }
  if (scope?.matchAllTags === true && scope.tags === undefined) {
    sink.warning(["spec", "scope", "matchAllTags"], "scope-match-all-without-tags", "has no effect without spec.scope.tags");
  }

  if (spec.provider === "aws") {
    const description = metadata.description;
    if (typeof description === "string" && !AWS_DESCRIPTION.test(description)) {
      sink.error(["metadata", "description"], "aws-description-charset", "contains characters that AWS does not accept in a role description; use Latin-1 characters only");
    }
  }

  if (spec.provider === "gcp") {
    const roleId = gcpRoleId(name);
    if (roleId.length < MIN_GCP_ROLE_ID_LENGTH || roleId.length > MAX_GCP_ROLE_ID_LENGTH) {
      sink.error(
        ["metadata", "name"],
        "gcp-role-id-length",
        `gives the custom role ID ${roleId} of ${roleId.length} characters, but Google Cloud allows ${MIN_GCP_ROLE_ID_LENGTH} to ${MAX_GCP_ROLE_ID_LENGTH}; shorten the name`,
      );
    }
    const permissions = (spec.gcp as Record<string, unknown>).permissions as string[];
    permissions.forEach((permission, index) => {
      if (!GCP_PERMISSION.test(permission)) {
        sink.error(
          ["spec", "gcp", "permissions", index],
          "gcp-permission-format",
          `${quote(permission)} is not a permission; write it as service.resource.verb, such as storage.objects.get`,
        );
      }
    });
  }
}
