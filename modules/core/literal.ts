/*
 * Config text as Terraform data. Terraform reads every string in a .tf.json file as a template: `${`
 * starts an interpolation and `%{` a directive. Text from the config must reach Terraform as literal
 * data, so both introductions are escaped by doubling their first character (`$${`, `%%{`; HCL native
 * syntax specification, "Template Expressions"). Apply `tfLiteral` to every config string a construct
 * puts into an attribute; never build expression source from config text.
 */

/** `text` escaped so that Terraform reads it back unchanged. */
export function tfLiteral(text: string): string {
  // Replacement functions: in a replacement *string* `$$` means one `$`, which would undo the escape.
  return text.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
}

/** A JSON document of config data as a Terraform string (JSON.stringify, then escaped). */
export function tfJsonLiteral(value: unknown): string {
  return tfLiteral(JSON.stringify(value));
}

/** One part of a string as Terraform reads it: literal text, or an interpolation/directive source. */
export type TemplatePart = { readonly literal: string } | { readonly expression: string };

/**
 * Reads a .tf.json string the way Terraform's template scanner does (escapes resolved, interpolations
 * and directives split out). Used by tests to check that config text arrives as literal data.
 */
export function readTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    const three = text.slice(i, i + 3);
    if (three === "$${" || three === "%%{") {
      literal += three.slice(1);
      i += 3;
    } else if (two === "${" || two === "%{") {
      if (literal) parts.push({ literal });
      literal = "";
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === "{") depth++;
        else if (text[j] === "}") depth--;
        j++;
      }
      parts.push({ expression: text.slice(i, j) });
      i = j;
    } else {
      literal += text[i];
      i++;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}
