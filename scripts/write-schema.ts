/* Writes schema/fleet.schema.json from the zod schema (`npm run schema`); a test keeps it current. */
import * as fs from "node:fs";
import * as path from "node:path";
import { fleetJsonSchemaText } from "../modules/config/json-schema";

const file = path.join(__dirname, "..", "schema", "fleet.schema.json");
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, fleetJsonSchemaText());
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
