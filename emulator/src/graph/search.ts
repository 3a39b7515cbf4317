import type { DirectoryUser } from '../directory/types.ts';
import { badRequest } from './errors.ts';
import { canonicalProperty, readProperty } from './user-properties.ts';

/**
 * `$search` on directory objects, https://learn.microsoft.com/graph/search-query-parameter
 * ("Using $search on directory object collections"):
 * - syntax `"property:text"` clauses joined by upper-case AND / OR, with parentheses;
 * - displayName is tokenized (spaces, lower→upper case changes, letter/digit boundaries, symbols; words
 *   joined only by symbols also form a combined token) and every search token must start a value token,
 *   in any order, ignoring case: "displayName:Guthr" finds "Guthrie";
 * - other string properties behave as startsWith.
 * Only in advanced queries (ConsistencyLevel: eventual), checked by the caller.
 */

export type SearchNode =
  | { kind: 'and' | 'or'; left: SearchNode; right: SearchNode }
  | { kind: 'clause'; property: string; text: string; tokens: string[] };

/** Splits text into lower-case search tokens as the doc describes. */
export function searchTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    // Runs of letters, of digits, and single symbols; a case change from lower to upper splits a run.
    const parts = word.match(/\p{Ll}+|\p{Lu}+\p{Ll}*|\p{Lo}+|\p{L}+|\p{N}+|[^\p{L}\p{N}]/gu) ?? [];
    const merged: string[] = [];
    for (const part of parts) {
      const previous = merged[merged.length - 1];
      // "HELLOworld" is one token: an all-caps run followed by lower case stays joined.
      if (previous !== undefined && /^\p{Lu}+$/u.test(previous) && /^\p{Ll}/u.test(part)) merged[merged.length - 1] = previous + part;
      else merged.push(part);
    }
    for (const part of merged) tokens.push(part.toLowerCase());
    const alnum = merged.filter((part) => /[\p{L}\p{N}]/u.test(part));
    if (alnum.length > 1 && merged.some((part) => !/[\p{L}\p{N}]/u.test(part))) tokens.push(alnum.join('').toLowerCase());
  }
  return tokens;
}

export function parseSearch(raw: string): SearchNode {
  let i = 0;
  const invalid = () => badRequest(`Syntax error: invalid $search expression at position ${i} in '${raw}'.`);
  const skipSpace = () => {
    while (i < raw.length && /\s/.test(raw[i]!)) i += 1;
  };

  const clause = (): SearchNode => {
    skipSpace();
    if (raw[i] === '(') {
      i += 1;
      const inner = orExpr();
      skipSpace();
      if (raw[i] !== ')') throw invalid();
      i += 1;
      return inner;
    }
    if (raw[i] !== '"') throw invalid();
    let text = '';
    i += 1;
    for (;;) {
      if (i >= raw.length) throw invalid();
      const ch = raw[i]!;
      if (ch === '\\' && i + 1 < raw.length) {
        text += raw[i + 1];
        i += 2;
        continue;
      }
      if (ch === '"') break;
      text += ch;
      i += 1;
    }
    i += 1;
    const colon = text.indexOf(':');
    if (colon <= 0) throw badRequest(`Invalid $search clause '${text}': use "property:text".`);
    const name = text.slice(0, colon).trim();
    const property = canonicalProperty(name);
    if (!property) throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.user'.`);
    const value = text.slice(colon + 1);
    return { kind: 'clause', property, text: value, tokens: searchTokens(value) };
  };

  const operator = (word: 'AND' | 'OR') => {
    skipSpace();
    if (raw.startsWith(word, i) && (i + word.length === raw.length || /[\s("]/.test(raw[i + word.length]!))) {
      i += word.length;
      return true;
    }
    return false;
  };

  const andExpr = (): SearchNode => {
    let left = clause();
    while (operator('AND')) left = { kind: 'and', left, right: clause() };
    return left;
  };
  const orExpr = (): SearchNode => {
    let left = andExpr();
    while (operator('OR')) left = { kind: 'or', left, right: andExpr() };
    return left;
  };

  const tree = orExpr();
  skipSpace();
  if (i < raw.length) throw invalid();
  return tree;
}

const tokenCache = new WeakMap<DirectoryUser, string[]>();

export function matchesSearch(node: SearchNode, user: DirectoryUser): boolean {
  if (node.kind !== 'clause') {
    return node.kind === 'and' ? matchesSearch(node.left, user) && matchesSearch(node.right, user) : matchesSearch(node.left, user) || matchesSearch(node.right, user);
  }
  const value = readProperty(user, node.property);
  if (typeof value !== 'string') return false;
  if (node.property === 'displayName') {
    let tokens = tokenCache.get(user);
    if (!tokens) {
      tokens = searchTokens(value);
      tokenCache.set(user, tokens);
    }
    const valueTokens = tokens;
    return node.tokens.length > 0 && node.tokens.every((token) => valueTokens.some((candidate) => candidate.startsWith(token)));
  }
  return value.toLowerCase().startsWith(node.text.trim().toLowerCase());
}
