import { z } from "zod";
import { FleetConfigSchema } from "./schema";

/** The JSON Schema for editor completion, generated from the same zod schema that validates configs. */
function fleetJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(FleetConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...schema, $id: "https://aft-fleet.invalid/schema/fleet.schema.json", title: "aft-fleet configuration" };
}

export function fleetJsonSchemaText(): string {
  return `${JSON.stringify(fleetJsonSchema(), null, 2)}\n`;
}
