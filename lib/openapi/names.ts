/**
 * Names in the document: component names of resources, operation ids (`listPosts`, `fetchPost`, …) and
 * tags, derived from the names views are registered under. Every name is made unique within a document.
 */

const uncountable = new Set(['media', 'data', 'news', 'series', 'species', 'information', 'equipment', 'metadata']);

/** `post` → `Post`, `blog-post` / `blog_post` → `BlogPost`; never empty. */
export function pascalCase(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
  if (joined === '') return 'Item';
  return /^[0-9]/.test(joined) ? `N${joined}` : joined;
}

/** English plural of the last word, by the common rules (`Post` → `Posts`, `Category` → `Categories`). */
export function plural(word: string): string {
  const last = /[A-Z]?[a-z0-9]*$/.exec(word)?.[0] ?? word;
  if (uncountable.has(last.toLowerCase())) return word;
  if (/(s|x|z|ch|sh)$/i.test(word)) return `${word}es`;
  if (/[^aeiou]y$/i.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** Hands out unique names: the wanted one, else the wanted one with 2, 3, … appended. */
export class UniqueNames {
  private readonly taken = new Set<string>();

  claim(wanted: string): string {
    let name = wanted;
    for (let n = 2; this.taken.has(name); n++) name = `${wanted}${n}`;
    this.taken.add(name);
    return name;
  }
}

/** Component names (`^[A-Za-z0-9._-]+$` in OpenAPI) of a resource class: `PostResource` → `Post`. */
export function resourceBaseName(className: string): string {
  const stripped = className.replace(/Resource$/, '');
  return pascalCase(stripped === '' ? className : stripped);
}
