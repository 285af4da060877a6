/**
 * Compares strings in byte order of their UTF-8 encoding, which is code point order,
 * without encoding them. UTF-16 code units already sort in that order, except that
 * surrogates (code points above U+FFFF) must sort after U+E000..U+FFFF. This is wid's
 * order for names, paths and every listing it prints or writes.
 */
export function compareBytes(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

/**
 * Compares strings in order of their UTF-16 code units, the order of `Array.prototype.sort`
 * without a comparator. It differs from {@link compareBytes} only for code points above
 * U+FFFF. Canonical AWS policy text uses it, because permission hashes already stored in
 * status files were computed in this order.
 */
export function compareCodeUnits(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function codeUnitRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
