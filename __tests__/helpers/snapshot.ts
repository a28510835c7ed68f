import * as fs from "node:fs";
import * as path from "node:path";

/** Every file below `dir` as relative path -> bytes (symbolic links as their target text). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      const full = path.join(dir, child);
      if (entry.isSymbolicLink()) out.set(child, `-> ${fs.readlinkSync(full)}`);
      else if (entry.isDirectory()) walk(child);
      else {
        const stat = fs.statSync(full);
        out.set(child, stat.size > 1_000_000 ? `${stat.size} bytes, mtime ${stat.mtimeMs}` : fs.readFileSync(full).toString("base64"));
      }
    }
  };
  walk("");
  return out;
}
