import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import { initialsOf, PhotoCache, renderAvatar } from '../../emulator/src/graph/avatar.ts';
import { GraphError } from '../../emulator/src/graph/errors.ts';
import { createFaultInjector } from '../../emulator/src/graph/faults.ts';
import { mulberry32 } from '../../emulator/src/directory/prng.ts';
import { exactKeys, matchesFilter, parseFilter } from '../../emulator/src/graph/filter.ts';
import { matchesSearch, parseSearch, searchTokens } from '../../emulator/src/graph/search.ts';
import { openToken, sealToken } from '../../emulator/src/graph/state-tokens.ts';
import { createThrottle, requestCost, tenantBudget } from '../../emulator/src/graph/throttle.ts';
import { parseSelect } from '../../emulator/src/graph/user-properties.ts';

const user = (patch: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id: '6f9d0c53-3f3a-4c1e-9b55-0b5f3a4d2e11',
  displayName: 'Zoë Ångström-Lee',
  givenName: 'Zoë',
  surname: 'Ångström-Lee',
  mail: 'zoe.angstrom@lakeside.example',
  userPrincipalName: 'zoe.angstrom@lakeside.example',
  jobTitle: 'Data Engineer',
  department: 'Research',
  companyName: 'Lakeside Works',
  officeLocation: 'Oslo 3',
  businessPhones: ['+47 555 0100'],
  mobilePhone: null,
  preferredLanguage: 'nb-NO',
  city: 'Oslo',
  country: 'Norway',
  usageLocation: 'NO',
  employeeId: 'E123',
  accountEnabled: true,
  userType: 'Member',
  createdDateTime: '2024-01-01T00:00:00Z',
  managerId: null,
  roles: [],
  hasPhoto: true,
  photoVersion: 1,
  ...patch,
});

const simple = { advanced: false };
const advanced = { advanced: true };

function errorOf(fn: () => unknown): GraphError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GraphError) return error;
    throw error;
  }
  throw new Error('expected a GraphError');
}

describe('$filter', () => {
  it.each([
    ['accountEnabled eq true', true],
    ['accountEnabled eq false', false],
    ["userType eq 'Member'", true],
    ["userType eq 'Guest'", false],
    ["startswith(displayName,'zoë')", true],
    ["startsWith(givenName, 'Zo')", true],
    ["startswith(surname,'Ång')", true],
    ["startswith(mail,'zoe.')", true],
    ["startswith(userPrincipalName,'ZOE')", true],
    ["startswith(displayName,'Lee')", false],
    ["id eq '6f9d0c53-3f3a-4c1e-9b55-0b5f3a4d2e11'", true],
    ["mail eq 'ZOE.ANGSTROM@lakeside.example'", true],
    ["userPrincipalName eq 'someone@lakeside.example'", false],
    ["accountEnabled eq true and userType eq 'Guest'", false],
    ["accountEnabled eq false or userType eq 'Member'", true],
    ["(accountEnabled eq false or userType eq 'Member') and startswith(displayName,'Z')", true],
    ["department in ('Sales', 'research')", true],
    ["jobTitle eq 'it''s'", false],
  ])('%s → %s', (filter, expected) => {
    expect(matchesFilter(parseFilter(filter, simple), user())).toBe(expected);
  });

  it.each([
    ["mail ne 'x@y'", 'ne'],
    ["not startswith(displayName,'A')", 'not'],
    ["endswith(mail,'@lakeside.example')", 'endsWith'],
    ['mobilePhone eq null', 'eq null'],
  ])('needs advanced query parameters for %s', (filter, operator) => {
    const error = errorOf(() => parseFilter(filter, simple));
    expect(error.status).toBe(400);
    expect(error.code).toBe('Request_UnsupportedQuery');
    expect(error.message).toContain(`Operator '${operator}' is not supported`);
    expect(() => parseFilter(filter, advanced)).not.toThrow();
  });

  it('evaluates advanced operators', () => {
    expect(matchesFilter(parseFilter("endswith(mail,'@LAKESIDE.example')", advanced), user())).toBe(true);
    expect(matchesFilter(parseFilter("not startswith(displayName,'Z')", advanced), user())).toBe(false);
    expect(matchesFilter(parseFilter('mobilePhone eq null', advanced), user())).toBe(true);
    expect(matchesFilter(parseFilter("jobTitle ne 'Data Engineer'", advanced), user())).toBe(false);
  });

  it.each([
    ["createdDateTime ge '2024-01-01'", 'Request_UnsupportedQuery', "property 'createdDateTime'"],
    ["startswith(createdDateTime,'2024')", 'Request_UnsupportedQuery', "property 'createdDateTime'"],
    ["businessPhones/any(p:startswith(p,'+47'))", 'Request_UnsupportedQuery', "property 'businessPhones'"],
    ["endswith(displayName,'Lee')", 'Request_UnsupportedQuery', "property 'displayName'"],
    ["nickname eq 'x'", 'BadRequest', "Could not find a property named 'nickname'"],
    ["displayName eq 'unterminated", 'BadRequest', 'Syntax error'],
    ['displayName eq', 'BadRequest', 'Syntax error'],
    ["(displayName eq 'a'", 'BadRequest', 'Syntax error'],
    ['accountEnabled eq 1', 'BadRequest', 'Syntax error'],
  ])('refuses %s with %s', (filter, code, message) => {
    const error = errorOf(() => parseFilter(filter, advanced));
    expect(error.status).toBe(400);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  it('finds direct lookups in disjunctions of id and UPN equalities', () => {
    expect(exactKeys(parseFilter("id eq 'a' or userPrincipalName eq 'b@c'", simple))).toEqual([
      { property: 'id', value: 'a' },
      { property: 'userPrincipalName', value: 'b@c' },
    ]);
    expect(exactKeys(parseFilter("id in ('a','b')", simple))).toHaveLength(2);
    expect(exactKeys(parseFilter("id eq 'a' and accountEnabled eq true", simple))).toBeUndefined();
    expect(exactKeys(parseFilter("mail eq 'a@b'", simple))).toBeUndefined();
  });
});

describe('$search', () => {
  it('tokenizes as the doc describes', () => {
    expect(searchTokens('hello world')).toEqual(['hello', 'world']);
    expect(searchTokens('HelloWorld')).toEqual(['hello', 'world']);
    expect(searchTokens('HELLOworld')).toEqual(['helloworld']);
    expect(searchTokens('hello123world')).toEqual(['hello', '123', 'world']);
    expect(searchTokens('hello.world')).toEqual(['hello', '.', 'world', 'helloworld']);
  });

  it.each([
    ['"displayName:Ångs"', true],
    ['"displayName:lee zoë"', true],
    ['"displayName:angstrom"', false],
    ['"displayName:ÅngströmLee"', true],
    ['"mail:zoe.ang"', true],
    ['"mail:angstrom"', false],
    ['"displayName:nobody" OR "mail:zoe"', true],
    ['"displayName:Zo" AND ("mail:x" OR "jobTitle:Data")', true],
  ])('%s → %s', (search, expected) => {
    expect(matchesSearch(parseSearch(search), user())).toBe(expected);
  });

  it.each(['displayName:zoe', '"displayName zoe"', '"displayName:zoe" and "mail:x"', '"nickname:x"'])('refuses %s', (search) => {
    expect(errorOf(() => parseSearch(search)).status).toBe(400);
  });
});

describe('$select', () => {
  it('canonicalises names case-insensitively and refuses unknown ones like Graph', () => {
    expect(parseSelect('DisplayName,mail,ID,mail')).toEqual(['displayName', 'mail', 'id']);
    expect(parseSelect(undefined)).toBeUndefined();
    const error = errorOf(() => parseSelect('displayName,shoeSize'));
    expect(error.code).toBe('BadRequest');
    expect(error.message).toBe("Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.");
  });
});

describe('throttling', () => {
  it('sizes the budget by tenant (S/M/L)', () => {
    expect([tenantBudget(49), tenantBudget(50), tenantBudget(500), tenantBudget(501)]).toEqual([3_500, 5_000, 5_000, 8_000]);
  });

  it.each([
    ['users', '', 2],
    ['users', '$select=displayName', 1],
    ['users', '$top=5', 1],
    ['users', '$top=5&$select=id', 1],
    ['users', '$top=999', 2],
    ['users/delta', '', 1],
    ['users/abc', '$expand=manager', 2],
    ['me/photo/$value', '', 1],
  ])('GET %s?%s costs %i', (path, query, cost) => {
    expect(requestCost(path, new URLSearchParams(query))).toBe(cost);
  });

  it('refuses over budget with Retry-After until the bucket refills, and reports usage over 80%', () => {
    const throttle = createThrottle({ budgetPer10s: 10 });
    const charge = (now: number, cost = 2) => throttle.charge({ tenantId: 't', appId: 'a', userCount: 10, cost, now });
    expect(charge(0).headers['x-ms-resource-unit']).toBe('2');
    charge(0);
    charge(0);
    // "Returned only when the application consumed more than 0.8 of its limit."
    expect(charge(0).headers['x-ms-throttle-limit-percentage']).toBeUndefined();
    expect(charge(0).headers['x-ms-throttle-limit-percentage']).toBe('1.00');
    const refused = charge(0);
    expect(refused.error?.status).toBe(429);
    expect(refused.error?.code).toBe('TooManyRequests');
    expect(refused.error?.headers['Retry-After']).toBe('2');
    expect(refused.error?.headers['x-ms-throttle-scope']).toBe('Tenant_Application/ReadWrite/a/t');
    expect(charge(2_000).error).toBeUndefined();
    // Another app has its own bucket.
    expect(throttle.charge({ tenantId: 't', appId: 'b', userCount: 10, cost: 2, now: 0 }).error).toBeUndefined();
  });

  it('can be switched off', () => {
    const throttle = createThrottle({ enabled: false, budgetPer10s: 1 });
    for (let i = 0; i < 5; i++) expect(throttle.charge({ tenantId: 't', appId: 'a', userCount: 10, cost: 2, now: 0 }).error).toBeUndefined();
  });
});

describe('faults', () => {
  it('is reproducible for a seed and respects the rate', () => {
    const draw = (seed: number) => {
      const faults = createFaultInjector({ rate: 0.3, seed });
      return Array.from({ length: 200 }, () => faults.next()?.status ?? 200);
    };
    const first = draw(7);
    expect(draw(7)).toEqual(first);
    expect(draw(8)).not.toEqual(first);
    const failures = first.filter((status) => status !== 200).length;
    expect(failures).toBeGreaterThan(35);
    expect(failures).toBeLessThan(90);
    expect(new Set(first)).toEqual(new Set([200, 429, 500, 502, 503, 504]));
  });

  it('answers Graph-shaped errors with Retry-After on 429 and 503', () => {
    const faults = createFaultInjector({ rate: 1, statuses: [503], retryAfterSeconds: 2 });
    const error = faults.next()!;
    expect([error.status, error.code, error.headers['Retry-After']]).toEqual([503, 'serviceNotAvailable', '2']);
    expect(createFaultInjector({ rate: 1, statuses: [429] }).next()!.code).toBe('TooManyRequests');
    expect(createFaultInjector({ rate: 1, statuses: [504] }).next()!.code).toBe('gatewayTimeout');
  });

  it('validates settings', () => {
    const faults = createFaultInjector();
    expect(() => faults.configure({ rate: 2 })).toThrow(/rate/);
    expect(() => faults.configure({ statuses: [418 as never] })).toThrow(/418/);
    expect(() => faults.configure({ statuses: [] })).toThrow(/at least one/);
    expect(faults.settings().rate).toBe(0);
  });

  it('has a uniform generator', () => {
    const random = mulberry32(1);
    const mean = Array.from({ length: 10_000 }, random).reduce((a, b) => a + b) / 10_000;
    expect(mean).toBeGreaterThan(0.48);
    expect(mean).toBeLessThan(0.52);
  });
});

describe('state tokens', () => {
  it('round-trips a payload for its tenant only, and refuses tampering', () => {
    const token = sealToken('tenant-a', { k: 'd', seq: 5 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(openToken('tenant-a', token)).toEqual({ k: 'd', seq: 5 });
    expect(openToken('tenant-b', token)).toBeUndefined();
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'AB' : 'AA');
    expect(openToken('tenant-a', tampered)).toBeUndefined();
    expect(openToken('tenant-a', 'not a token')).toBeUndefined();
    expect(openToken('tenant-a', '')).toBeUndefined();
  });
});

describe('avatars', () => {
  it('draws a PNG of the requested size with initials in a colour from the ID', () => {
    const png = PNG.sync.read(renderAvatar({ key: 'abc', initials: 'ZA', size: 96 }));
    expect([png.width, png.height]).toEqual([96, 96]);
    const pixel = (x: number, y: number) => [...png.data.subarray((y * 96 + x) * 4, (y * 96 + x) * 4 + 3)];
    const background = pixel(0, 0);
    const inked = Array.from({ length: 96 * 96 }, (_, i) => pixel(i % 96, Math.floor(i / 96))).filter((p) => p.join() !== background.join());
    expect(inked.length).toBeGreaterThan(200);
    expect(PNG.sync.read(renderAvatar({ key: 'abd', initials: 'ZA', size: 48 })).data.subarray(0, 3)).not.toEqual(png.data.subarray(0, 3));
  });

  it('falls back to a pattern without Latin initials', () => {
    expect(initialsOf({ displayName: '李四', givenName: null, surname: null })).toBe('');
    expect(initialsOf({ displayName: 'x', givenName: 'Émile', surname: 'Zola' })).toBe('EZ');
    expect(PNG.sync.read(renderAvatar({ key: 'abc', initials: '', size: 48 })).width).toBe(48);
  });

  it('caches renders, evicting the least recently used', () => {
    const cache = new PhotoCache(2);
    let renders = 0;
    const render = () => {
      renders += 1;
      return Buffer.alloc(10);
    };
    cache.get('a', render);
    cache.get('b', render);
    cache.get('a', render);
    cache.get('c', render);
    cache.get('a', render);
    expect(renders).toBe(3);
    cache.get('b', render);
    expect(renders).toBe(4);
  });
});
