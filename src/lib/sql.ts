// Small pieces of SQL text shared by the modules' queries.

/** A LIKE/ILIKE pattern matching `text` anywhere, with its wildcards (`%`, `_`, `\`) taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}
