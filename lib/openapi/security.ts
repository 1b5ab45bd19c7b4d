/**
 * `components.securitySchemes` from the views' authentication strategies and the per-operation
 * `security` requirements: `ApiKeyAuthentication` → an apiKey in its header, `BearerAuthentication` →
 * HTTP bearer, `JwtAuthentication` → HTTP bearer with `bearerFormat: JWT`, a custom strategy → what its
 * class declares in a static `openapi` property. `AnonymousAuthentication` adds the empty requirement
 * (credentials optional) where anonymous callers pass. Where the permission rule asks for `scope()`s,
 * each requirement lists them (OpenAPI 3.1 allows scopes/roles on any scheme), one requirement per set
 * of scopes that lets a caller through.
 */
import { ApiKeyAuthentication } from '../auth/api-key.js';
import { AnonymousAuthentication, type AuthenticationBase } from '../auth/authentication.js';
import { BearerAuthentication } from '../auth/bearer.js';
import { JwtAuthentication } from '../auth/jwt.js';
import { UniqueNames, pascalCase } from './names.js';
import type { OpenApiSecurityRequirement, OpenApiSecurityScheme } from './types.js';

/** A strategy class may describe itself: `static openapi = { type: 'apiKey', in: 'header', name: 'X-Secret' }`. */
interface DescribedStrategyClass {
  openapi?: OpenApiSecurityScheme;
}

/** What a strategy looks like in the document. */
type StrategyScheme = { kind: 'anonymous' } | { kind: 'scheme'; wanted: string; scheme: OpenApiSecurityScheme } | { kind: 'undescribed'; name: string };

function schemeOf(strategy: AuthenticationBase): StrategyScheme {
  if (strategy instanceof AnonymousAuthentication) return { kind: 'anonymous' };
  const declared = (strategy.constructor as DescribedStrategyClass).openapi;
  if (declared && typeof declared === 'object' && typeof declared.type === 'string') {
    return { kind: 'scheme', wanted: pascalCase(strategy.constructor.name), scheme: declared };
  }
  if (strategy instanceof ApiKeyAuthentication) {
    return { kind: 'scheme', wanted: 'ApiKey', scheme: { type: 'apiKey', in: 'header', name: strategy.header } };
  }
  if (strategy instanceof JwtAuthentication) return { kind: 'scheme', wanted: 'Jwt', scheme: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } };
  if (strategy instanceof BearerAuthentication) return { kind: 'scheme', wanted: 'Bearer', scheme: { type: 'http', scheme: 'bearer' } };
  return { kind: 'undescribed', name: strategy.constructor.name || 'an unnamed strategy' };
}

/** The security schemes of one document: equal schemes share one entry. */
export class SecuritySchemes {
  readonly schemes: Record<string, OpenApiSecurityScheme> = {};
  private readonly names = new UniqueNames();
  private readonly byJson = new Map<string, string>();

  private nameOf(wanted: string, scheme: OpenApiSecurityScheme): string {
    const json = JSON.stringify(scheme);
    let name = this.byJson.get(json);
    if (name === undefined) {
      name = this.names.claim(wanted);
      this.byJson.set(json, name);
      this.schemes[name] = scheme;
    }
    return name;
  }

  /**
   * The `security` of an operation served by `strategies` (undefined: no authentication), and the
   * strategies the document cannot describe (named in the operation's description). `scopeSets`: the
   * sets of scopes any one of which the permission rule accepts (see `scopeAlternatives`).
   */
  requirements(
    strategies: readonly AuthenticationBase[],
    anonymousPasses: boolean,
    scopeSets: readonly (readonly string[])[] = [[]],
  ): { security?: OpenApiSecurityRequirement[]; undescribed: string[] } {
    if (strategies.length === 0) return { undescribed: [] };
    const security: OpenApiSecurityRequirement[] = [];
    const undescribed: string[] = [];
    let anonymous = false;
    for (const strategy of strategies) {
      const described = schemeOf(strategy);
      if (described.kind === 'anonymous') anonymous = true;
      else if (described.kind === 'undescribed') undescribed.push(described.name);
      else {
        const name = this.nameOf(described.wanted, described.scheme);
        if (security.some((requirement) => name in requirement)) continue;
        for (const scopes of scopeSets) security.push({ [name]: [...scopes] });
      }
    }
    if (anonymous && anonymousPasses) security.push({});
    return { security, undescribed };
  }
}

/** Whether the strategies include `AnonymousAuthentication` (authentication never refuses by itself). */
export function hasAnonymous(strategies: readonly AuthenticationBase[]): boolean {
  return strategies.some((strategy) => strategy instanceof AnonymousAuthentication);
}
