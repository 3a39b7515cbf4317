import type { DirectoryUser } from '../directory/types.ts';
import { badRequest, unsupportedQuery } from './errors.ts';
import { canonicalProperty, readProperty } from './user-properties.ts';

/**
 * A `$filter` subset for users, https://learn.microsoft.com/graph/filter-query-parameter and
 * https://learn.microsoft.com/graph/aad-advanced-queries ("Support for filter by properties"):
 * - `eq` and `in` on the properties below work by default; string comparisons ignore case, as Entra's do;
 * - `startswith(prop,'x')` works by default on the string properties marked for it;
 * - `ne`, `not` and `endswith` (mail, userPrincipalName) only in advanced queries
 *   (`ConsistencyLevel: eventual` and `$count=true`), else 400 Request_UnsupportedQuery with the doc's wording;
 * - any other property or operator: 400 "Unsupported or invalid query filter clause specified for property …".
 * Clauses combine with `and`, `or` and parentheses.
 */

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; operand: FilterNode }
  | { kind: 'compare'; op: 'eq' | 'ne'; property: string; value: Literal }
  | { kind: 'in'; property: string; values: Literal[] }
  | { kind: 'function'; name: 'startswith' | 'endswith'; property: string; value: string };

type Literal = string | boolean | null;

/** Properties that support eq / in / ne by default, and their literal type. */
const EQ_PROPERTIES: Record<string, 'string' | 'boolean' | 'guid'> = {
  id: 'guid',
  accountEnabled: 'boolean',
  userType: 'string',
  mail: 'string',
  userPrincipalName: 'string',
  displayName: 'string',
  givenName: 'string',
  surname: 'string',
  jobTitle: 'string',
  department: 'string',
  companyName: 'string',
  officeLocation: 'string',
  city: 'string',
  country: 'string',
  usageLocation: 'string',
  employeeId: 'string',
  mobilePhone: 'string',
  preferredLanguage: 'string',
  mailNickname: 'string',
};
const STARTSWITH_PROPERTIES = new Set([
  'displayName',
  'givenName',
  'surname',
  'mail',
  'userPrincipalName',
  'jobTitle',
  'department',
  'companyName',
  'city',
  'country',
  'employeeId',
  'mobilePhone',
  'mailNickname',
  'officeLocation',
  'usageLocation',
  'preferredLanguage',
]);
const ENDSWITH_PROPERTIES = new Set(['mail', 'userPrincipalName']);

const advancedOnly = (operator: string) =>
  unsupportedQuery(
    `Operator '${operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information`,
  );
const unsupportedClause = (property: string) =>
  unsupportedQuery(`Unsupported or invalid query filter clause specified for property '${property}' of resource 'User'.`);

// --- Tokenizer ---

type Token =
  | { type: 'name'; text: string; at: number }
  | { type: 'string'; text: string; at: number }
  | { type: 'punct'; text: '(' | ')' | ',' ; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const syntax = (at: number) => badRequest(`Invalid filter clause: Syntax error at position ${at} in '${source}'.`);
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: 'punct', text: ch, at: i });
      i += 1;
    } else if (ch === "'") {
      // OData string literal: a doubled quote is an escaped quote.
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw syntax(i);
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            text += "'";
            j += 2;
            continue;
          }
          break;
        }
        text += source[j];
        j += 1;
      }
      tokens.push({ type: 'string', text, at: i });
      i = j + 1;
    } else if (/[A-Za-z0-9_.\-/$]/.test(ch)) {
      let j = i;
      while (j < source.length && /[A-Za-z0-9_.\-/$:]/.test(source[j]!)) j += 1;
      tokens.push({ type: 'name', text: source.slice(i, j), at: i });
      i = j;
    } else {
      throw syntax(i);
    }
  }
  return tokens;
}

// --- Parser ---

export interface FilterContext {
  /** ConsistencyLevel: eventual and $count=true both present. */
  advanced: boolean;
}

export function parseFilter(source: string, context: FilterContext): FilterNode {
  const tokens = tokenize(source);
  let index = 0;
  const syntax = (at?: number) =>
    badRequest(`Invalid filter clause: Syntax error at position ${at ?? source.length} in '${source}'.`);
  const peek = () => tokens[index];
  const take = () => {
    const token = tokens[index];
    if (!token) throw syntax();
    index += 1;
    return token;
  };
  const isWord = (token: Token | undefined, word: string) => token?.type === 'name' && token.text.toLowerCase() === word;
  const expect = (text: '(' | ')' | ',') => {
    const token = take();
    if (token.type !== 'punct' || token.text !== text) throw syntax(token.at);
  };

  const property = (): string => {
    const token = take();
    if (token.type !== 'name') throw syntax(token.at);
    if (token.text.includes('/')) throw unsupportedClause(token.text.split('/')[0]!);
    const canonical = canonicalProperty(token.text);
    if (!canonical) throw badRequest(`Could not find a property named '${token.text}' on type 'microsoft.graph.user'.`);
    return canonical;
  };

  const literal = (): Literal => {
    const token = take();
    if (token.type === 'string') return token.text;
    if (token.type === 'name') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
      // Unquoted GUIDs are accepted for id comparisons.
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(token.text)) return token.text;
    }
    throw syntax(token.at);
  };

  const checkLiteral = (prop: string, value: Literal) => {
    const type = EQ_PROPERTIES[prop];
    if (!type) throw unsupportedClause(prop);
    if (value === null) {
      if (!context.advanced) throw advancedOnly('eq null');
      return;
    }
    if ((type === 'boolean') !== (typeof value === 'boolean')) throw badRequest(`A binary operator with incompatible types was detected for property '${prop}'.`);
  };

  const primary = (): FilterNode => {
    const token = peek();
    if (!token) throw syntax();
    if (token.type === 'punct' && token.text === '(') {
      take();
      const inner = orExpr();
      expect(')');
      return inner;
    }
    if (isWord(token, 'not')) {
      take();
      if (!context.advanced) throw advancedOnly('not');
      return { kind: 'not', operand: primary() };
    }
    if (isWord(token, 'startswith') || isWord(token, 'endswith')) {
      take();
      const name = token.text.toLowerCase() as 'startswith' | 'endswith';
      expect('(');
      const prop = property();
      expect(',');
      const value = literal();
      expect(')');
      if (typeof value !== 'string') throw badRequest(`Invalid filter clause: ${name} expects a string literal.`);
      if (name === 'endswith') {
        if (!ENDSWITH_PROPERTIES.has(prop)) throw unsupportedClause(prop);
        if (!context.advanced) throw advancedOnly('endsWith');
      } else if (!STARTSWITH_PROPERTIES.has(prop)) {
        throw unsupportedClause(prop);
      }
      return { kind: 'function', name, property: prop, value };
    }
    const prop = property();
    const op = take();
    if (op.type !== 'name') throw syntax(op.at);
    const operator = op.text.toLowerCase();
    if (operator === 'eq' || operator === 'ne') {
      const value = literal();
      checkLiteral(prop, value);
      if (operator === 'ne' && !context.advanced) throw advancedOnly('ne');
      return { kind: 'compare', op: operator, property: prop, value };
    }
    if (operator === 'in') {
      expect('(');
      const values: Literal[] = [literal()];
      while (peek()?.type === 'punct' && peek()!.text === ',') {
        take();
        values.push(literal());
      }
      expect(')');
      for (const value of values) checkLiteral(prop, value);
      return { kind: 'in', property: prop, values };
    }
    if (['gt', 'ge', 'lt', 'le'].includes(operator)) throw unsupportedClause(prop);
    throw syntax(op.at);
  };

  const andExpr = (): FilterNode => {
    let left = primary();
    while (isWord(peek(), 'and')) {
      take();
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (isWord(peek(), 'or')) {
      take();
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };

  if (tokens.length === 0) throw syntax(0);
  const tree = orExpr();
  if (index < tokens.length) throw syntax(tokens[index]!.at);
  return tree;
}

// --- Evaluation ---

const fold = (value: string): string => value.toLowerCase();

function equals(actual: unknown, expected: Literal): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (typeof expected === 'boolean') return actual === expected;
  return typeof actual === 'string' && fold(actual) === fold(expected);
}

export function matchesFilter(node: FilterNode, user: DirectoryUser): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(node.left, user) && matchesFilter(node.right, user);
    case 'or':
      return matchesFilter(node.left, user) || matchesFilter(node.right, user);
    case 'not':
      return !matchesFilter(node.operand, user);
    case 'compare': {
      const same = equals(readProperty(user, node.property), node.value);
      return node.op === 'eq' ? same : !same;
    }
    case 'in': {
      const actual = readProperty(user, node.property);
      return node.values.some((value) => equals(actual, value));
    }
    case 'function': {
      const actual = readProperty(user, node.property);
      if (typeof actual !== 'string') return false;
      return node.name === 'startswith' ? fold(actual).startsWith(fold(node.value)) : fold(actual).endsWith(fold(node.value));
    }
  }
}

/**
 * When the filter is only `id eq` / `userPrincipalName eq` / `in` clauses joined by `or`, the keys to look
 * up directly instead of scanning the directory; undefined otherwise.
 */
export function exactKeys(node: FilterNode): { property: 'id' | 'userPrincipalName'; value: string }[] | undefined {
  if (node.kind === 'or') {
    const left = exactKeys(node.left);
    const right = exactKeys(node.right);
    return left && right ? [...left, ...right] : undefined;
  }
  if ((node.kind === 'compare' && node.op === 'eq') || node.kind === 'in') {
    if (node.property !== 'id' && node.property !== 'userPrincipalName') return undefined;
    const values = node.kind === 'in' ? node.values : [node.value];
    if (!values.every((value): value is string => typeof value === 'string')) return undefined;
    return values.map((value) => ({ property: node.property as 'id' | 'userPrincipalName', value }));
  }
  return undefined;
}
