export { fleetTags, partitionOf } from "./tags";
export { readTemplate, tfJsonLiteral, tfLiteral } from "./literal";
export type { TemplatePart } from "./literal";
