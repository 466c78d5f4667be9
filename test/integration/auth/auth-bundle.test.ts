import { describeKeptOutOfStartup } from '../../support/bundle-startup.js';
import { builtServerPath } from '../../support/server-path.js';

/**
 * The unauthenticated hot path must not move: the built server loads nothing of authentication or
 * rate limiting unless `auth` or `rate_limits` is configured. Everything main.js imports statically
 * loads at start-up, so none of it may hold jose, rate-limiter-flexible, the authenticators or the
 * edge's admission; each sits in a chunk of its own, imported on demand.
 */
const LAZY = {
  'jose (OAuth JWT verification)': 'ERR_JWKS_NO_MATCHING_KEY',
  'the OAuth authenticator': 'token lacks the required scope',
  'the API key authenticator': 'more than one X-API-Key header',
  'rate-limiter-flexible': 'RateLimiterRes',
  'the rate limiter': 'rate_limits.store is redis',
  'the HTTP admission': 'Bearer realm=',
};

describeKeptOutOfStartup('bundle: authentication and rate limits stay out of start-up', LAZY, builtServerPath);
