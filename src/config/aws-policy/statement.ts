import type { NodePath } from "../diagnostics.js";

/** One string of an Action, NotAction, Resource or NotResource element, with where it is written. */
export interface ElementEntry {
  value: string;
  path: NodePath;
}

/** The Action or NotAction element of a statement. */
export interface ActionElement {
  key: "Action" | "NotAction";
  path: NodePath;
  entries: ElementEntry[];
}

/** The Resource or NotResource element of a statement. */
export interface ResourceElement {
  key: "Resource" | "NotResource";
  path: NodePath;
  entries: ElementEntry[];
}

/**
 * The parts of a statement that later checks need: which actions it grants or denies
 * on which resources. Elements that failed the grammar check are left undefined.
 */
export interface StatementSummary {
  path: NodePath;
  effect: "Allow" | "Deny" | undefined;
  action: ActionElement | undefined;
  resource: ResourceElement | undefined;
  /** The Condition element as written, or undefined when the statement has none. */
  condition: unknown;
}
