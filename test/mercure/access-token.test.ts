/**
 * Mercure 1.0 access tokens, with real jose-signed tokens: the RFC 9068
 * validation matrix (typ, alg, iss, aud, exp, nbf, iat), the
 * `authorization_details` rules (unknown action ignored, unknown match_type
 * or malformed detail refuses the whole token, other detail types skipped),
 * the limits, grants and payload selection, the RFC 6750 challenges and
 * where a 1.0 request carries its token.
 *
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#token-validation
 * @see https://github.com/dunglas/mercure/blob/v1.0.0-alpha.3/spec/mercure.md#authorization-details
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import {
  accessTokenRejectionOf,
  INVALID_TOKEN_MESSAGE,
  looksLikeAccessToken,
  verifyAccessToken,
  type AccessToken,
  type AccessTokenOptions,
  type AccessTokenRejectionReason,
} from '../../src/mercure/access-token.js';
import {
  grantsPublish,
  grantsSubscribe,
  MERCURE_AUTHORIZATION_DETAIL_TYPE as MERCURE,
  subscriptionPayload,
} from '../../src/mercure/authorization-details.js';
import {
  bearerChallenge,
  bearerErrorOf,
  quotedString,
  resourceMetadataUrl,
} from '../../src/mercure/bearer-challenge.js';
import { ACCESS_TOKEN_COOKIE, findPresentedToken } from '../../src/mercure/access-token-source.js';
import { importSignKey, importVerifyKey, type JwtKey } from '../../src/mercure/jwt-key.js';
import { SseError } from '../../src/protocol/sse-error.js';

const ISSUER = 'https://app.example';
const OTHER_ISSUER = 'https://other.example';
const RESOURCE = 'https://hub.example/.well-known/mercure';
const SECRET = 'a-test-secret-that-is-long-enough-for-hs256!';
const OTHER_SECRET = 'another-secret-that-is-long-enough-for-hs256';
const NOW = Date.UTC(2030, 0, 1); // a fixed clock, ms
const NOW_S = NOW / 1000;

const EC = generateKeyPairSync('ec', {
  namedCurve: 'P-256',
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const RSA = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

const HS = importVerifyKey(SECRET, 'HS256', 'test');
const ES = importVerifyKey(EC.publicKey, 'ES256', 'test');
const OTHER_HS = importVerifyKey(OTHER_SECRET, 'HS256', 'test');

const OPTIONS: AccessTokenOptions = {
  issuers: [
    { issuer: ISSUER, keys: [HS, ES] },
    { issuer: OTHER_ISSUER, keys: [OTHER_HS] },
  ],
  resourceIdentifier: RESOURCE,
  now: () => NOW,
};

const SUBSCRIBE_ALL = [{ type: MERCURE, actions: ['subscribe'], topics: [{ match: '*' }] }];

/** The claims of a valid token; each test changes one thing. */
function claims(extra: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: RESOURCE,
    sub: 'urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6',
    client_id: ISSUER,
    iat: NOW_S - 60,
    exp: NOW_S + 300,
    jti: 'urn:uuid:e70ff8d7-59d5-4a92-b0b7-505e8f6d09fa',
    authorization_details: SUBSCRIBE_ALL,
    ...extra,
  };
}

interface MintOptions {
  header?: Record<string, unknown>;
  key?: string;
  alg?: 'HS256' | 'HS512' | 'ES256' | 'RS256';
}

/** Signs `payload` (undefined members dropped) with the HS256 secret unless told otherwise. */
async function mint(payload: JWTPayload, options: MintOptions = {}): Promise<string> {
  const alg = options.alg ?? 'HS256';
  let key: JwtKey;
  if (alg === 'ES256') key = importSignKey(EC.privateKey, alg, 'test');
  else if (alg === 'RS256') key = importSignKey(RSA.privateKey, alg, 'test');
  else key = importSignKey(options.key ?? SECRET, alg, 'test');
  const body = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(body)
    .setProtectedHeader({ alg, typ: 'at+jwt', ...options.header })
    .sign(key.key);
}

/** An unsigned token (`alg: none`), as an attacker would write it. */
function unsigned(payload: JWTPayload): string {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(payload)}.`;
}

async function accepted(
  token: string,
  options: Partial<AccessTokenOptions> = {},
): Promise<AccessToken> {
  return verifyAccessToken(token, { ...OPTIONS, ...options });
}

async function refused(
  token: string,
  reason: AccessTokenRejectionReason,
  options: Partial<AccessTokenOptions> = {},
): Promise<void> {
  await assert.rejects(verifyAccessToken(token, { ...OPTIONS, ...options }), (error: unknown) => {
    assert.ok(error instanceof SseError);
    assert.equal(error.code, 'SSE_ERR_UNAUTHORIZED');
    // [spec] The client learns nothing about why.
    assert.equal(error.message, INVALID_TOKEN_MESSAGE);
    assert.equal(bearerErrorOf(error), 'invalid_token');
    assert.equal(accessTokenRejectionOf(error)?.reason, reason);
    return true;
  });
}

void describe('RFC 9068 validation', () => {
  void test('a valid token is accepted and normalized', async () => {
    const token = await accepted(await mint(claims()));
    assert.equal(token.kind, 'access-token');
    assert.equal(token.issuer, ISSUER);
    assert.equal(token.subject, 'urn:uuid:bb3de268-05b0-4c65-b44e-8f9acefc29d6');
    assert.equal(token.expiresAt, (NOW_S + 300) * 1000);
    assert.equal(token.publish.length, 0);
    assert.deepEqual(
      token.subscribe.map((m) => m.spec),
      [{ type: 'exact', value: '*' }],
    );
  });

  void describe('typ', () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      void test(`"${typ}" is accepted`, async () => {
        await accepted(await mint(claims(), { header: { typ } }));
      });
    }
    for (const typ of [undefined, 'JWT', 'application/jwt', 'at+jwt+x', 'foo/at+jwt', 'jwt']) {
      void test(`${typ === undefined ? 'a missing typ' : `"${typ}"`} is refused`, async () => {
        await refused(await mint(claims(), { header: { typ } }), 'typ');
      });
    }
    void test('looksLikeAccessToken tells 1.0 tokens from pre-1.0 ones', async () => {
      assert.equal(looksLikeAccessToken(await mint(claims())), true);
      assert.equal(looksLikeAccessToken(await mint(claims(), { header: { typ: 'JWT' } })), false);
      assert.equal(looksLikeAccessToken('garbage'), false);
    });
  });

  void describe('alg', () => {
    void test('alg none is refused', async () => {
      await refused(unsigned(claims()), 'alg');
    });
    void test('an algorithm no key of the issuer is bound to is refused (HS512 on HS256)', async () => {
      await refused(await mint(claims(), { alg: 'HS512' }), 'alg');
    });
    void test('RS256 on an issuer with HS256 and ES256 keys is refused', async () => {
      await refused(await mint(claims(), { alg: 'RS256' }), 'alg');
    });
    void test('each key of the issuer is tried with its own algorithm (ES256 here)', async () => {
      await accepted(await mint(claims(), { alg: 'ES256' }));
    });
    void test('a token signed with another secret is refused', async () => {
      await refused(await mint(claims(), { key: OTHER_SECRET }), 'signature');
    });
  });

  void describe('iss', () => {
    void test('a missing iss is refused', async () => {
      await refused(await mint(claims({ iss: undefined })), 'issuer');
    });
    void test('an untrusted iss is refused', async () => {
      await refused(await mint(claims({ iss: 'https://evil.example' })), 'issuer');
    });
    void test('iss is compared exactly (no trailing slash, no case folding)', async () => {
      await refused(await mint(claims({ iss: `${ISSUER}/` })), 'issuer');
      await refused(await mint(claims({ iss: ISSUER.toUpperCase() })), 'issuer');
    });
    void test("keys are never pooled across issuers: issuer B's key cannot vouch for A", async () => {
      await refused(await mint(claims(), { key: OTHER_SECRET }), 'signature');
      await accepted(await mint(claims({ iss: OTHER_ISSUER }), { key: OTHER_SECRET }));
      await refused(await mint(claims({ iss: OTHER_ISSUER })), 'signature');
    });
  });

  void describe('aud', () => {
    void test('missing: refused', async () => {
      await refused(await mint(claims({ aud: undefined })), 'audience');
    });
    void test('the resource identifier as a string: accepted', async () => {
      await accepted(await mint(claims({ aud: RESOURCE })));
    });
    void test('an array containing the resource identifier: accepted', async () => {
      await accepted(await mint(claims({ aud: ['https://api.example', RESOURCE] })));
    });
    void test('an array without it: refused', async () => {
      await refused(await mint(claims({ aud: ['https://api.example'] })), 'audience');
    });
    void test('another hub: refused', async () => {
      await refused(
        await mint(claims({ aud: 'https://other-hub.example/.well-known/mercure' })),
        'audience',
      );
    });
  });

  void describe('exp, nbf, iat', () => {
    void test('a missing exp is refused', async () => {
      await refused(await mint(claims({ exp: undefined })), 'exp-missing');
    });
    void test('an exp that is not a number is refused', async () => {
      await refused(await mint(claims({ exp: 'tomorrow' })), 'claims');
    });
    void test('an exp in the past is refused', async () => {
      await refused(await mint(claims({ exp: NOW_S - 10 })), 'expired');
    });
    void test('an exp just past is accepted within the clock tolerance', async () => {
      const token = await mint(claims({ exp: NOW_S - 10 }));
      await accepted(token, { clockTolerance: 30 });
      await refused(token, 'expired', { clockTolerance: 5 });
    });
    void test('an nbf in the future is refused, unless within the tolerance', async () => {
      const token = await mint(claims({ nbf: NOW_S + 60 }));
      await refused(token, 'not-yet-valid');
      await accepted(token, { clockTolerance: 120 });
      await accepted(await mint(claims({ nbf: NOW_S - 1 })));
    });
    void test('an iat in the future is refused, unless within the tolerance', async () => {
      const token = await mint(claims({ iat: NOW_S + 60 }));
      await refused(token, 'issued-in-future');
      await accepted(token, { clockTolerance: 120 });
    });
    void test('sub, client_id, iat and jti are not required (the upstream conformance token has none)', async () => {
      await accepted(
        await mint(
          claims({ sub: undefined, client_id: undefined, iat: undefined, jti: undefined }),
        ),
      );
    });
  });

  void describe('shape', () => {
    void test('garbage and truncated tokens are refused as malformed', async () => {
      await refused('garbage', 'malformed');
      await refused('a.b.c', 'malformed');
      const token = await mint(claims());
      await refused(token.slice(0, token.lastIndexOf('.')), 'malformed');
    });
    void test('a token longer than maxTokenLength is refused before decoding', async () => {
      const token = await mint(claims());
      await refused(token, 'too-large', { maxTokenLength: token.length - 1 });
    });
  });

  void test('the upstream conformance token (v1.0.0-alpha.3) verifies with its hub config', async () => {
    // conformance-tests/mercure.spec.ts: HS256, typ at+jwt, iss https://localhost,
    // aud https://localhost/.well-known/mercure, publish and subscribe on "*",
    // exp 2100-01-01; the CI hub's key is '!ChangeThisMercureHubJWTSecretKey!'.
    const upstream =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJhdWQiOiJodHRwczovL2xvY2FsaG9zdC8ud2VsbC1rbm93bi9tZXJjdXJlIiwiaXNzIjoiaHR0cHM6Ly9sb2NhbGhvc3QiLCJhdXRob3JpemF0aW9uX2RldGFpbHMiOlt7InR5cGUiOiJodHRwczovL21lcmN1cmUucm9ja3MvYXV0aG9yaXphdGlvbi1kZXRhaWwiLCJhY3Rpb25zIjpbInB1Ymxpc2giXSwidG9waWNzIjpbeyJtYXRjaCI6IioifV19LHsidHlwZSI6Imh0dHBzOi8vbWVyY3VyZS5yb2Nrcy9hdXRob3JpemF0aW9uLWRldGFpbCIsImFjdGlvbnMiOlsic3Vic2NyaWJlIl0sInRvcGljcyI6W3sibWF0Y2giOiIqIn1dfV0sImV4cCI6NDEwMjQ0NDgwMH0.z_S8IP5WZsCK8h3pcq0PB5zvJE0OdTrGA70khAYJQy4';
    const hub: AccessTokenOptions = {
      issuers: [
        {
          issuer: 'https://localhost',
          keys: [importVerifyKey('!ChangeThisMercureHubJWTSecretKey!', 'HS256', 'test')],
        },
      ],
      resourceIdentifier: 'https://localhost/.well-known/mercure',
    };
    const token = await verifyAccessToken(upstream, hub);
    assert.equal(grantsPublish(token.details, ['https://example.net/foo/1', 'bar']), true);
    assert.equal(grantsSubscribe(token.details, ['anything']), true);
    await assert.rejects(
      verifyAccessToken(upstream, {
        ...hub,
        resourceIdentifier: 'https://127.0.0.1:3000/.well-known/mercure',
      }),
      (error: unknown) => accessTokenRejectionOf(error)?.reason === 'audience',
    );
  });
});

/** A valid token whose authorization_details claim is `details`. */
async function withDetails(details: unknown): Promise<string> {
  return mint(claims({ authorization_details: details }));
}

void describe('authorization_details', () => {
  void test('a valid claim: actions, matchers with and without match_type, payload', async () => {
    const token = await accepted(
      await withDetails([
        {
          type: MERCURE,
          actions: ['publish', 'subscribe'],
          topics: [
            { match: 'https://example.com/books/1' },
            { match: 'https://example.com/users/:id', match_type: 'urlpattern' },
            { match: 'https://example.com/b', match_type: 'exact' },
          ],
          payload: { tenant: 'acme' },
        },
      ]),
    );
    assert.equal(token.details.length, 1);
    assert.deepEqual(token.details[0]?.payload, { tenant: 'acme' });
    assert.deepEqual(
      token.publish.map((m) => m.spec),
      [
        { type: 'exact', value: 'https://example.com/books/1' },
        { type: 'urlpattern', value: 'https://example.com/users/:id' },
        { type: 'exact', value: 'https://example.com/b' },
      ],
    );
    assert.equal(token.subscribe.length, 3);
  });

  void test('no claim at all: a valid token that grants nothing', async () => {
    const token = await accepted(await withDetails(undefined));
    assert.equal(token.details.length, 0);
    assert.equal(grantsSubscribe(token.details, ['anything']), false);
  });

  void test('an unknown action is ignored: it grants nothing and refuses nothing', async () => {
    const token = await accepted(
      await withDetails([
        { type: MERCURE, actions: ['publish', 'delete'], topics: [{ match: 'a' }] },
        { type: MERCURE, actions: ['future-action'], topics: [{ match: 'b' }] },
      ]),
    );
    assert.equal(grantsPublish(token.details, ['a']), true);
    assert.equal(grantsPublish(token.details, ['b']), false);
    assert.equal(grantsSubscribe(token.details, ['a', 'b']), false);
  });

  void test('details of another type are skipped, whatever their shape', async () => {
    const token = await accepted(
      await withDetails([
        { type: 'payment_initiation', actions: 'initiate', topics: 'not an array' },
        { type: 'https://mercure.rocks/authorization-detail/', actions: [], topics: [] },
        { type: MERCURE, actions: ['subscribe'], topics: [{ match: 'c' }] },
      ]),
    );
    assert.equal(token.details.length, 1);
  });

  const malformed: [string, unknown][] = [
    [
      'the claim is not an array',
      { type: MERCURE, actions: ['publish'], topics: [{ match: 'a' }] },
    ],
    ['an entry is not an object', ['https://mercure.rocks/authorization-detail']],
    ['an entry has no type', [{ actions: ['publish'], topics: [{ match: 'a' }] }]],
    ['a type that is not a string', [{ type: 1, actions: ['publish'], topics: [{ match: 'a' }] }]],
    ['actions missing', [{ type: MERCURE, topics: [{ match: 'a' }] }]],
    ['actions empty', [{ type: MERCURE, actions: [], topics: [{ match: 'a' }] }]],
    ['actions not an array', [{ type: MERCURE, actions: 'publish', topics: [{ match: 'a' }] }]],
    ['a non-string action', [{ type: MERCURE, actions: ['publish', 1], topics: [{ match: 'a' }] }]],
    ['topics missing', [{ type: MERCURE, actions: ['publish'] }]],
    ['topics empty', [{ type: MERCURE, actions: ['publish'], topics: [] }]],
    [
      'a bare string topic (the pre-1.0 shape)',
      [{ type: MERCURE, actions: ['publish'], topics: ['a'] }],
    ],
    ['a null topic', [{ type: MERCURE, actions: ['publish'], topics: [null] }]],
    [
      'a topic without match',
      [{ type: MERCURE, actions: ['publish'], topics: [{ match_type: 'exact' }] }],
    ],
    ['a non-string match', [{ type: MERCURE, actions: ['publish'], topics: [{ match: 7 }] }]],
    ['an empty match', [{ type: MERCURE, actions: ['publish'], topics: [{ match: '' }] }]],
    [
      'an unknown match_type',
      [{ type: MERCURE, actions: ['publish'], topics: [{ match: 'a', match_type: 'regex' }] }],
    ],
    [
      'a match_type in the wrong case',
      [{ type: MERCURE, actions: ['publish'], topics: [{ match: 'a', match_type: 'URLPattern' }] }],
    ],
    [
      'an unknown match_type even with the * wildcard',
      [{ type: MERCURE, actions: ['publish'], topics: [{ match: '*', match_type: 'glob' }] }],
    ],
    [
      'a URL pattern that does not compile',
      [
        {
          type: MERCURE,
          actions: ['publish'],
          topics: [{ match: '/a/(\\d+)', match_type: 'urlpattern' }],
        },
      ],
    ],
    [
      'a matcher with a control character',
      [{ type: MERCURE, actions: ['publish'], topics: [{ match: 'a\nb' }] }],
    ],
    [
      'a payload that is not an object',
      [{ type: MERCURE, actions: ['subscribe'], topics: [{ match: 'a' }], payload: 'x' }],
    ],
    [
      'a null payload',
      [{ type: MERCURE, actions: ['subscribe'], topics: [{ match: 'a' }], payload: null }],
    ],
  ];
  for (const [name, details] of malformed) {
    void test(`refused (whole token): ${name}`, async () => {
      await refused(await withDetails(details), 'authorization-details');
    });
  }

  void test('one bad detail refuses the token even when others are valid (no partial acceptance)', async () => {
    await refused(
      await withDetails([
        { type: MERCURE, actions: ['publish'], topics: [{ match: '*' }] },
        { type: MERCURE, actions: ['subscribe'], topics: [{ match: 'a', match_type: 'nope' }] },
      ]),
      'authorization-details',
    );
  });
});

void describe('limits', () => {
  const detail = (topics: number) => ({
    type: MERCURE,
    actions: ['subscribe'],
    topics: Array.from({ length: topics }, (_, i) => ({ match: `t${i}` })),
  });

  void test('100 Mercure details pass, 101 refuse the token; other types do not count', async () => {
    await accepted(await withDetails(Array.from({ length: 100 }, () => detail(1))));
    await refused(
      await withDetails(Array.from({ length: 101 }, () => detail(1))),
      'authorization-details',
    );
    await accepted(
      await withDetails([
        ...Array.from({ length: 100 }, () => detail(1)),
        ...Array.from({ length: 50 }, () => ({ type: 'other' })),
      ]),
    );
  });

  void test('100 topic matchers in all pass, 101 refuse the token, however they are split', async () => {
    await accepted(await withDetails([detail(100)]));
    await refused(await withDetails([detail(101)]), 'authorization-details');
    await refused(await withDetails([detail(60), detail(41)]), 'authorization-details');
  });

  void test('a matcher longer than maxPatternLength refuses the token', async () => {
    const long = [{ type: MERCURE, actions: ['subscribe'], topics: [{ match: 'x'.repeat(4097) }] }];
    await refused(await withDetails(long), 'authorization-details');
    await accepted(await withDetails(long), { maxPatternLength: 5000 });
  });

  void test('the limits are options', async () => {
    await refused(await withDetails([detail(2), detail(2)]), 'authorization-details', {
      maxDetails: 1,
    });
    await refused(await withDetails([detail(3)]), 'authorization-details', { maxTopics: 2 });
  });
});

void describe('grants and payloads', () => {
  void test('publish needs a grant on every topic; subscribe on at least one', async () => {
    const token = await accepted(
      await withDetails([
        {
          type: MERCURE,
          actions: ['publish'],
          topics: [{ match: 'https://example.com/books/:id', match_type: 'urlpattern' }],
        },
        {
          type: MERCURE,
          actions: ['subscribe'],
          topics: [{ match: 'https://example.com/users/42/*', match_type: 'urlpattern' }],
        },
      ]),
    );
    const { details } = token;
    assert.equal(grantsPublish(details, ['https://example.com/books/1']), true);
    assert.equal(
      grantsPublish(details, ['https://example.com/books/1', 'https://example.com/authors/1']),
      false,
      'one topic not covered: nothing is published',
    );
    assert.equal(grantsPublish(details, []), false);
    // [spec] "Subscribers": the alternate topic example.
    assert.equal(
      grantsSubscribe(details, [
        'https://example.com/books/1',
        'https://example.com/users/42/books/1',
      ]),
      true,
    );
    assert.equal(grantsSubscribe(details, ['https://example.com/books/1']), false);
  });

  void test('the payload of the first subscribe detail matching the subscription matcher wins', async () => {
    // [spec] "Payloads" example, in order: specific, pattern, then "*" as default.
    const token = await accepted(
      await withDetails([
        {
          type: MERCURE,
          actions: ['publish'],
          topics: [{ match: '*' }],
          payload: { publisher: true },
        },
        {
          type: MERCURE,
          actions: ['subscribe'],
          topics: [{ match: 'https://example.com/foo' }],
          payload: { custom1: 1 },
        },
        {
          type: MERCURE,
          actions: ['subscribe'],
          topics: [{ match: 'https://example.com/bar/:id', match_type: 'urlpattern' }],
          payload: { custom2: 2 },
        },
        {
          type: MERCURE,
          actions: ['subscribe'],
          topics: [{ match: '*' }],
          payload: { custom3: 3 },
        },
      ]),
    );
    const { details } = token;
    assert.deepEqual(subscriptionPayload(details, 'https://example.com/foo').payload, {
      custom1: 1,
    });
    // The subscription's own matcher string, read as a topic.
    assert.deepEqual(subscriptionPayload(details, 'https://example.com/bar/:id').payload, {
      custom2: 2,
    });
    assert.deepEqual(subscriptionPayload(details, 'https://example.com/bar/7').payload, {
      custom2: 2,
    });
    assert.deepEqual(subscriptionPayload(details, 'other').payload, { custom3: 3 });
  });

  void test('no matching subscribe detail: found is false', async () => {
    const token = await accepted(
      await withDetails([{ type: MERCURE, actions: ['subscribe'], topics: [{ match: 'a' }] }]),
    );
    assert.deepEqual(subscriptionPayload(token.details, 'b'), { found: false, payload: undefined });
    assert.deepEqual(subscriptionPayload(token.details, 'a'), { found: true, payload: undefined });
  });
});

void describe('RFC 6750 challenges', () => {
  const metadata = resourceMetadataUrl(RESOURCE);

  void test('the metadata URL goes between host and path (RFC 9728 §3.1)', () => {
    assert.equal(
      metadata,
      'https://hub.example/.well-known/oauth-protected-resource/.well-known/mercure',
    );
    assert.equal(
      resourceMetadataUrl('https://hub.example/'),
      'https://hub.example/.well-known/oauth-protected-resource',
    );
    assert.equal(
      resourceMetadataUrl('https://hub.example:8443/prefix/hub?x=1'),
      'https://hub.example:8443/.well-known/oauth-protected-resource/prefix/hub?x=1',
    );
    assert.throws(() => resourceMetadataUrl('/.well-known/mercure'), {
      code: 'SSE_ERR_INVALID_OPTION',
    });
    assert.throws(() => resourceMetadataUrl('https://hub.example/#x'), {
      code: 'SSE_ERR_INVALID_OPTION',
    });
  });

  void test('no token: a challenge without error code', () => {
    assert.equal(
      bearerChallenge({ resourceMetadata: metadata }),
      `Bearer resource_metadata="${metadata}"`,
    );
    assert.equal(bearerChallenge(), 'Bearer');
  });

  void test('error codes, in RFC 6750 order with resource_metadata last', () => {
    assert.equal(
      bearerChallenge({ error: 'invalid_token', resourceMetadata: metadata }),
      `Bearer error="invalid_token", resource_metadata="${metadata}"`,
    );
    assert.equal(
      bearerChallenge({ realm: 'mercure', error: 'insufficient_scope' }),
      'Bearer realm="mercure", error="insufficient_scope"',
    );
    assert.equal(
      bearerChallenge({
        error: 'invalid_request',
        errorDescription: 'use the "Authorization" header',
      }),
      'Bearer error="invalid_request", error_description="use the \\"Authorization\\" header"',
    );
  });

  void test('quoted-strings escape " and \\ and refuse control characters', () => {
    assert.equal(quotedString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(quotedString('tab\there'), '"tab\there"');
    assert.throws(() => quotedString('a\r\nSet-Cookie: x=y'), { code: 'SSE_ERR_INVALID_FIELD' });
    assert.throws(() => bearerChallenge({ realm: 'a\u0000' }), { code: 'SSE_ERR_INVALID_FIELD' });
  });

  void test('bearerErrorOf maps refusals to codes', () => {
    assert.equal(bearerErrorOf(new SseError('SSE_ERR_UNAUTHORIZED', 'x')), 'invalid_token');
    assert.equal(bearerErrorOf(new SseError('SSE_ERR_FORBIDDEN', 'x')), 'insufficient_scope');
    assert.equal(
      bearerErrorOf(new SseError('SSE_ERR_INVALID_FIELD', 'x', { field: 'authorization' })),
      'invalid_request',
    );
    assert.equal(
      bearerErrorOf(new SseError('SSE_ERR_INVALID_FIELD', 'x', { field: 'id' })),
      undefined,
    );
    assert.equal(bearerErrorOf(new Error('x')), undefined);
  });
});

void describe('where a 1.0 request carries its token', () => {
  const q = (s = '') => new URLSearchParams(s);

  void test('the Authorization header wins, and the cookie is then ignored (not refused)', () => {
    assert.deepEqual(
      findPresentedToken(
        { authorization: 'bearer abc.def.ghi', cookie: `${ACCESS_TOKEN_COOKIE}=zzz` },
        q(),
      ),
      { token: 'abc.def.ghi', source: 'header' },
    );
  });

  void test('the __Secure-mercure_access_token cookie, else nothing', () => {
    assert.deepEqual(findPresentedToken({ cookie: `a=b; ${ACCESS_TOKEN_COOKIE}=t.o.k` }, q()), {
      token: 't.o.k',
      source: 'cookie',
    });
    assert.equal(findPresentedToken({ cookie: 'mercureAuthorization=t.o.k' }, q()), undefined);
    assert.equal(findPresentedToken({}, q()), undefined);
  });

  void test('a malformed Authorization header is invalid_request (400)', () => {
    for (const authorization of ['Basic abc', 'Bearer', 'Bearer a b', 'Bearer a"b']) {
      assert.throws(
        () => findPresentedToken({ authorization }, q()),
        (error: unknown) => bearerErrorOf(error) === 'invalid_request',
        authorization,
      );
    }
  });

  void test('tokens in the URL are refused in 1.0 (authorization and access_token)', () => {
    for (const query of ['authorization=a.b.c', 'access_token=a.b.c']) {
      assert.throws(
        () => findPresentedToken({}, q(query)),
        (error: unknown) => bearerErrorOf(error) === 'invalid_request',
        query,
      );
    }
  });

  void test('both dialects: the pre-1.0 query parameter and cookie are read, header first', () => {
    const legacy = { urlTokens: 'legacy', legacyCookieName: 'mercureAuthorization' } as const;
    assert.deepEqual(findPresentedToken({}, q('authorization=a.b.c'), legacy), {
      token: 'a.b.c',
      source: 'query',
    });
    assert.deepEqual(findPresentedToken({ cookie: 'mercureAuthorization=l.e.g' }, q(), legacy), {
      token: 'l.e.g',
      source: 'legacy-cookie',
    });
    assert.deepEqual(
      findPresentedToken({ authorization: 'Bearer h.e.d' }, q('authorization=a.b.c'), legacy),
      { token: 'h.e.d', source: 'header' },
    );
    assert.throws(() => findPresentedToken({}, q('access_token=a.b.c'), legacy), {
      code: 'SSE_ERR_INVALID_FIELD',
    });
  });
});
