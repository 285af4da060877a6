/**
 * Returns the candidate closest to `input` by edit distance, or undefined when none is
 * close enough to be a likely typo (at most a third of the input's length, and at most 3).
 * Comparison ignores case, so `s3:getobject` suggests `s3:GetObject`.
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  const maxDistance = Math.min(3, Math.max(1, Math.floor(needle.length / 3)));
  let best: string | undefined;
  let bestDistance = maxDistance + 1;

  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    if (Math.abs(lower.length - needle.length) >= bestDistance) continue;
    const distance = editDistance(needle, lower, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Levenshtein distance between `a` and `b`, giving up once it is certain to reach
 * `limit` (the returned value is then `limit`).
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      current.push(value);
      if (value < rowMin) rowMin = value;
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Formats `; did you mean "X"?` for appending to a message, or an empty string when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string {
  const match = closestMatch(input, candidates);
  return match === undefined ? "" : `; did you mean "${match}"?`;
}

/** Maximum number of workloads that {@link didYouMeanWorkload} lists when a bare name fits several. */
const MAX_WORKLOAD_SUGGESTIONS = 5;

/**
 * Formats `; did you mean "PROJECT/NAME"?` for a workload key that was not found, or an
 * empty string when nothing is close. Besides typos of the whole key, it matches the
 * bare workload name, so `api` suggests `shop/api`, and a name in several projects
 * lists each of them, up to {@link MAX_WORKLOAD_SUGGESTIONS}.
 */
export function didYouMeanWorkload(input: string, keys: Iterable<string>): string {
  const all = [...keys];
  const bare = input.slice(input.lastIndexOf("/") + 1).toLowerCase();
  const sameName = all.filter((key) => workloadName(key).toLowerCase() === bare);

  // A bare name that exists is the likeliest intent; then a typo of the whole key; then a typo of the name.
  if (!input.includes("/") && sameName.length > 0) return formatSuggestions(sameName);
  const whole = closestMatch(input, all);
  if (whole !== undefined) return formatSuggestions([whole]);
  if (sameName.length > 0) return formatSuggestions(sameName);
  const closeName = closestMatch(bare, all.map(workloadName));
  return closeName === undefined ? "" : formatSuggestions(all.filter((key) => workloadName(key) === closeName));
}

/**
 * Returns the message for a workload key that the config does not have: the closest
 * workloads, or a reminder of the `PROJECT/NAME` form when the input lacks it, and the
 * files that cannot be read, which may define it.
 */
export function workloadNotFoundMessage(input: string, keys: Iterable<string>, unreadableFiles: readonly string[] = []): string {
  const suggestion = didYouMeanWorkload(input, keys);
  const form = suggestion === "" && !input.includes("/") ? "; give it as PROJECT/NAME" : "";
  const unreadable = unreadableFiles.length > 0 ? `; ${unreadableFiles.join(", ")} cannot be read and may define it, run wid validate` : "";
  return `workload ${input} not found in the config${suggestion}${form}${unreadable}`;
}

function workloadName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

function formatSuggestions(keys: readonly string[]): string {
  const listed = keys.slice(0, MAX_WORKLOAD_SUGGESTIONS).map((key) => `"${key}"`);
  if (listed.length === 1) return `; did you mean ${listed[0] ?? ""}?`;
  const more = keys.length > listed.length ? ` (and ${keys.length - listed.length} more)` : "";
  return `; did you mean one of ${listed.join(", ")}${more}?`;
}
