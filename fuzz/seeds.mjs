// Writes the seed corpora (fuzz/corpus/<target>/), small and made from the project's
// real examples: the emulator's responses (emulator/src/), the Vipps docs' examples
// quoted in the unit tests (src/*.rs). Run from the repository: node fuzz/seeds.mjs.
// Seeds with several fields hold them one a line (fuzz/src/lib.rs `fields`).
import { createHmac, createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';

const b64u = (s) => Buffer.from(s).toString('base64url');
const bytes = (n, fill) => Buffer.alloc(n, fill);
const NOW = 1680165512;
const VIPPS = 'https://apitest.vipps.no/access-management-1.0/access/';
const LOCAL = 'http://127.0.0.1:7000/access-management-1.0/access/';
const RSA_N = bytes(256, 0xb3).toString('base64url');

const jwt = (header, claims, sig) =>
  `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}.${sig.toString('base64url')}`;
const idClaims = { iss: LOCAL, aud: 'client-1', sub: 'c0ffee00-0000-8000-8000-000000000001', iat: NOW, exp: NOW + 300, nonce: 'n-0S6_WzA2Mj', sid: 's-1', auth_time: NOW };
const RS256 = jwt({ alg: 'RS256', kid: 'public:3b1f0c2e', typ: 'JWT' }, idClaims, bytes(256, 7));
const ES256 = jwt({ alg: 'ES256', kid: 'ec-1' }, { ...idClaims, authReqId: 'a-1' }, bytes(64, 9));

const discovery = (issuer, base) => JSON.stringify({
  issuer,
  authorization_endpoint: `${issuer}oauth2/auth`,
  token_endpoint: `${issuer}oauth2/token`,
  jwks_uri: `${issuer}.well-known/jwks.json`,
  userinfo_endpoint: `${base}/vipps-userinfo-api/userinfo`,
  end_session_endpoint: `${issuer}oauth2/sessions/logout`,
  grant_types_supported: ['authorization_code', 'implicit', 'client_credentials', 'refresh_token'],
  response_types_supported: ['code', 'code id_token', 'id_token', 'token id_token', 'token', 'token id_token code'],
  token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt', 'none'],
  code_challenge_methods_supported: ['S256'],
  authorization_response_iss_parameter_supported: false,
});

// The session cookie, sealed as src/session.rs does with the fuzz target's secret.
const SESSION_SECRET = '0123456789abcdef0123456789abcdef';
const seal = (session) => {
  const payload = b64u(JSON.stringify(session));
  return `${payload}.${createHmac('sha256', SESSION_SECRET).update(payload).digest('base64url')}`;
};
const session = { sub: 'c0ffee00-0000-8000-8000-000000000001', name: 'Ola Nordmann', given_name: 'Ola', email: 'ola@example.com', iat: NOW, exp: NOW + 28800 };

// A Webhooks API delivery signed as src/webhook.rs documents it.
const WEBHOOK_SECRET = 'webhook-secret';
const delivery = (date, body) => {
  const hash = createHash('sha256').update(body).digest('base64');
  const sig = createHmac('sha256', WEBHOOK_SECRET).update(`POST\n/webhooks/vipps\n${date};shop.example;${hash}`).digest('base64');
  return `${date}\n${hash}\nHMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${sig}\n${body}`;
};
const PING = '{"auth_req_id":"3b1f0c2e-9a8d-4c1e-8f00-000000000001"}';
const consent = (claims, header = { alg: 'none' }) => `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}.`;
const revoked = { sub: 'c0ffee00-0000-8000-8000-000000000001', event: 'CONSENT_REVOKED', iat: NOW, nbf: NOW, exp: NOW + 3600 };

const seeds = {
  callback: [
    'state-123456\nhttps://shop.example/callback?code=abc&state=state-123456&scope=openid%20name',
    'state-123456\nhttps://example.com/callback?error=access_denied&error_description=User%20cancelled%20the%20login?state=state-123456',
    'state-123456\nhttps://example.com/callback?code=abc?state=state-123456',
    `state-123456\n?code=abc&state=state-123456&iss=${encodeURIComponent('https://api.vipps.no/access-management-1.0/access/')}`,
    'forged\n/callback?code=a&code=b&state=forged#frag',
  ],
  jose: [RS256, ES256, `${b64u('{"alg":"none"}')}.${b64u('{}')}.`, `${b64u('{"alg":"HS256"}')}.${b64u('{"sub":"a"}')}.${b64u('x')}`],
  jwks: [
    JSON.stringify({ keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid: 'public:3b1f0c2e', n: RSA_N, e: 'AQAB' }] }),
    `{"keys":[
        {"kty":"RSA","kid":"public:aaaa","use":"sig","alg":"RS256","n":"sXch","e":"AQAB"},
        {"kty":"RSA","kid":"public:bbbb","n":"tYdi","e":"AQAB"},
        {"kty":"EC","kid":"ec","crv":"P-256","x":"a","y":"b"},
        {"kty":"RSA","kid":"enc","use":"enc","n":"x","e":"AQAB"}]}`,
    '{"keys":[{"kty":"EC","kid":"p384","crv":"P-384","x":"a","y":"b"},{"kty":"EC","kid":"es","crv":"P-256","alg":"ES256","use":"sig","x":"a","y":"b"}]}',
  ],
  token_response: [
    `200\n${JSON.stringify({ access_token: 'at-3b1f0c2e', id_token: RS256, expires_in: 3599, scope: 'openid name email', token_type: 'bearer' })}`,
    '401\n{"error":"invalid_client","error_description":"Client authentication failed"}',
    '400\n{"error":"invalid_request","error_debug":"redirect_uri mismatch"}',
    '400\n{"error":"invalid_grant","error_code":1002}',
    '503\n<html>Service Unavailable</html>',
  ],
  userinfo: [
    's-1\n{"sub":"s-1","sid":"x","name":"Ola Nordmann","phone_number":"4712345678","address":{"street_address":"","postal_code":"","region":"","country":"","formatted":"","address_type":""},"other_addresses":[]}',
    's-1\n{"sub":"s-2"}',
  ],
  discovery: [discovery(VIPPS, 'https://apitest.vipps.no'), discovery(LOCAL, 'http://127.0.0.1:7000')],
  redirect_uri: [
    'https://shop.example/callback\nhttps://shop.example/callback',
    'https://shop.example/callback/\nhttps://shop.example/callback',
    'http://localhost:8787/callback\nhttp://localhost:8787/callback',
    'myapp://callback\nmyapp://callback',
    'https://shop.example/callback#x\nhttps://SHOP.example/callback',
  ],
  session: [
    `${NOW}\n__Host-vipps_session=${seal(session)}; other=1`,
    `${NOW}\n${seal({ ...session, claims: { userId: 42, roles: ['a'] } })}`,
    `${NOW}\n${JSON.stringify({ ...session, claims: { userId: 42 } })}`,
    `${NOW + 28800}\nvipps_session=${seal(session)}`,
  ],
  worker_bodies: [
    JSON.stringify({ nonce: 'n'.repeat(43), codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', returnTo: '/account', market: 'NO', requestedFlow: 'automatic_return_from_vipps_app', scope: 'name email' }),
    JSON.stringify({ nonce: 'n'.repeat(43), codeVerifier: 'v'.repeat(43), state: 's' }),
    JSON.stringify({ phone: '+47 123 45 678', bindingMessage: 'AB12-X', scope: 'openid name', flow: 'poll' }),
    JSON.stringify({ phone: '004712345678', flow: 'webpage' }),
  ],
  consent_webhook: [
    `${NOW}\n${consent(revoked)}`,
    `${NOW}\n${consent(revoked, { alg: 'none', typ: 'JWT' }).slice(0, -1)}`,
    `${NOW}\n${consent({ ...revoked, iat: NOW + 0.5 })}`,
    `${NOW}\n${consent(revoked, { alg: 'HS256' })}sig`,
  ],
  webhook_signature: [
    delivery('Thu, 30 Mar 2023 08:38:32 GMT', PING),
    delivery('Sat, 01 Jan 2000 00:00:00 GMT', '{"auth_req_id":"a b"}'),
    `Thu, 30 Mar 2023 08:38:32 GMT\nxyz=\nHMAC-SHA256 SignedHeaders=host&Signature=abc=\n${PING}`,
  ],
  ciba: [
    '200\n\n{"auth_req_id":"a-1","expires_in":600,"interval":5}',
    '200\n\n{"auth_req_id":"a","expires_in":"120"}',
    '400\n\n{"error":"invalid_user","error_description":"no such user"}',
    '429\nThu, 30 Mar 2023 08:38:42 GMT\n{"error":"too_many_requests"}',
    '400\n\n{"error":"slow_down"}',
    `200\n\n${JSON.stringify({ access_token: 'at', id_token: ES256, token_type: 'Bearer', expires_in: 300 })}`,
  ],
  partner_token: [
    `200\n${NOW}\n${JSON.stringify({ token_type: 'Bearer', expires_in: '86398', ext_expires_in: '86398', expires_on: String(NOW + 86398), not_before: String(NOW), resource: '00000002-0000-0000-c000-000000000000', access_token: 'eyJ0eXAiOiJKV1Qi.tok' })}`,
    '200\n0\n{"token_type":"bearer","expires_in":3600,"access_token":"tok"}',
    '401\n0\n{"error":"invalid_client"}',
  ],
};

for (const [target, list] of Object.entries(seeds)) {
  const dir = new URL(`./corpus/${target}/`, import.meta.url);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  list.forEach((seed, i) => writeFileSync(new URL(`seed-${i + 1}`, dir), seed));
}
console.log(`seeds: ${Object.keys(seeds).length} targets`);
