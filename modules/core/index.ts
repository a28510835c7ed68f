export { fleetTags, partitionOf } from "./tags";
export { readTemplate, tfLiteral } from "./literal";
