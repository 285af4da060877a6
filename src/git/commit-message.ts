import { compareBytes } from "../text/order.js";
import type { FinishedOutcome, RunCounts } from "../reconcile/outcome.js";

/**
 * The git trailer that marks a wid status commit and names the config revision it
 * describes. The work folder skips commits that carry it when it looks for the config
 * revision, so wid's own commits never count as config changes.
 */
export const STATUS_COMMIT_TRAILER = "Wid-Config-Revision";

/** Facts a status commit message reports. */
export interface StatusCommitFacts {
  /** The config revision the status file describes. */
  revision: string;
  /** The run's change counts, as its log lines report them. */
  counts: RunCounts;
  outcome: FinishedOutcome;
  /** Applying was suspended, by `suspend: true` in Settings or by `--suspend`. */
  suspended: boolean;
  /** Identities by state, as in the status file. */
  identities: Readonly<Record<string, number>>;
}

/**
 * Builds the message of a status commit: a subject naming the short config revision
 * and the applied changes, a body with the details, and the {@link STATUS_COMMIT_TRAILER}.
 * The message depends only on `facts`, never on the time.
 */
export function statusCommitMessage(facts: StatusCommitFacts): string {
  const { created, updated, deleted, failed, pending, notApplied } = facts.counts;
  const subject = `Update wid status for ${facts.revision.slice(0, 7)}: ${created} created, ${updated} updated, ${deleted} deleted`;

  const states = Object.entries(facts.identities)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => compareBytes(a, b))
    .map(([state, count]) => `${count} ${state}`);
  const body = [
    `Config revision: ${facts.revision}`,
    `Applied: ${created} created, ${updated} updated, ${deleted} deleted.`,
    ...(failed > 0 ? [`Failed: ${failed} change(s).`] : []),
    `Pending: ${pending} change(s) wait for install: true or for the end of a suspension.`,
    ...(notApplied > 0 ? [`Not applied: ${notApplied} planned change(s) wait for a run with cloud access.`] : []),
    `Identities: ${states.length > 0 ? states.join(", ") : "none"}.`,
    `Outcome: ${facts.outcome}.`,
  ];
  if (facts.suspended) body.push("Applying is suspended; the status reports the plan and applies nothing.");

  return `${subject}\n\n${body.join("\n")}\n\n${STATUS_COMMIT_TRAILER}: ${facts.revision}\n`;
}
