// Small pieces of SQL text shared by the modules' queries.

/** `text` with the LIKE/ILIKE wildcards (`%`, `_`) and the escape character (`\`) taken literally. */
export function escapeLikeWildcards(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** A LIKE/ILIKE pattern matching `text` anywhere, with its wildcards taken literally. */
export function containsPattern(text: string): string {
  return `%${escapeLikeWildcards(text)}%`;
}
