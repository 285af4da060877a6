import { isMap, isPair, isScalar, isSeq } from "yaml";
import type { Node } from "yaml";

/**
 * Returns the source offsets of the mapping keys that repeat an earlier key of the same
 * mapping, in one pass with a set per mapping. Keys are equal as the yaml package's own
 * `uniqueKeys` check compares them: scalars with the same value. That check compares each
 * key with every earlier one, which takes minutes for a 1 MiB mapping, so parsers here
 * turn it off and call this instead. Aliases are not followed, and the walk does not
 * recurse, so any nesting is safe.
 */
export function duplicateKeyOffsets(root: Node | null): number[] {
  const offsets: number[] = [];
  const stack: unknown[] = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (isScalar(pair.key)) {
          if (seen.has(pair.key.value)) offsets.push(pair.key.range?.[0] ?? 0);
          seen.add(pair.key.value);
        }
        stack.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) {
      stack.push(...node.items);
    }
  }
  return offsets.sort((a, b) => a - b);
}
