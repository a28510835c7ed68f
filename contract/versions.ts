/**
 * Orders package versions: numeric runs compare as numbers, other runs as text ("1.10.0" > "1.9.2",
 * "2.0.0-rc1" < "2.0.0-rc2"). A version that is a prefix of another sorts first ("1.0" < "1.0.1").
 * The controller uses it to tell a promotion from a rollback; the report uses it to say which is which.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(BigInt(x) - BigInt(y) > 0n) - Number(BigInt(x) - BigInt(y) < 0n);
      if (d !== 0) return d;
      continue;
    }
    if (nx !== ny) return nx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return Math.sign(pa.length - pb.length);
}
