// The interop peer of the idaas integration tests: panva's oidc-provider
// (OpenID Certified) on 127.0.0.1 with an ephemeral port.
//
// - prints ONE JSON line on stdout once listening: {"issuer", "port", "clients"}
// - exits when stdin closes, so it always dies with the test process
// - loopback-only admin routes (POST, JSON):
//     /admin/rotate  new provider signing keys; the old ones stay published
//     /admin/trust   {"issuer", "jwks"}: trust a jwt-bearer assertion issuer
//     /admin/sign    {"alg", "header", "claims"}: a JWS signed by the newest
//                    provider key of that alg (tokens a test needs to be
//                    wrong in one way only: typ, exp, iss…)
//
// - DPoP (issue 17): DPoP-bound clients (one that must send the OP's nonce),
//   the custom grants bind their tokens to a DPoP proof too
// - mutual TLS (RFC 8705, issue 17): a second provider over https (the
//   test CA's localhost certificate) whose mtls_endpoint_aliases point to
//   a second https listener asking for client certificates; clients
//   authenticating with tls_client_auth (subject DN) and
//   self_signed_tls_client_auth (JWKS x5c), tokens bound to the certificate
//   (cnf.x5t#S256); a client_secret_basic client on the https issuer (a
//   private CA trusted by the caller, issue 13). Announced under "mtls".
// - user sign-in (issue 4): a native loopback client, test accounts with an
//   organizations claim, login + consent interactions at /interaction/:uid,
//   the device flow pages, userinfo, RP-initiated logout, revocation
//
// Sections: keys, clients, grant handlers (token exchange, jwt-bearer),
// accounts, interaction pages, provider configuration, server.

import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { generateKeyPairSync, createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider, { errors } from 'oidc-provider';
// DPoP for the custom grants below, as the built-in grants do it
import validateDpop from 'oidc-provider/lib/helpers/validate_dpop.js';
import { applyDpopBinding } from 'oidc-provider/lib/helpers/grant_common.js';
import { CompactSign, calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

// stdout carries only the announcement line; every log goes to stderr
console.log = console.error;
console.info = console.error;
console.warn = console.error;

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', 'crates', 'idaas-oauth', 'tests', 'fixtures');

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const RESOURCE = 'urn:idaas:interop:api';
// the same API with RS256-signed JWT access tokens
const RESOURCE_RS = 'urn:idaas:interop:api-rs';
const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

// ---------------------------------------------------------------- keys

let generation = 0;

function signingKeys() {
  generation += 1;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return [
    { ...ec, kid: `ec-${generation}-${randomUUID().slice(0, 8)}`, alg: 'ES256', use: 'sig' },
    { ...rsa, kid: `rsa-${generation}-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' },
  ];
}

// newest first: the provider signs with the first key of an algorithm
let providerKeys = signingKeys();

async function publicJwkOfFixture(file) {
  const jwk = createPublicKey(readFileSync(join(FIXTURES, file), 'utf8')).export({ format: 'jwk' });
  return { ...jwk, kid: await calculateJwkThumbprint(jwk) };
}

// ---------------------------------------------------------------- clients

// Reserved characters in id and secret: only RFC 6749 §2.3.1 encoding works.
const BASIC_ID = 'cc basic:1';
const BASIC_SECRET = 's3cr:et/+ %&=~';
const POST_SECRET = 'post-secret';
const JWT_SECRET = 'client-secret-jwt-0123456789-0123456789-0123456789-0123456789-ab';

const grantTypes = ['client_credentials', TOKEN_EXCHANGE, JWT_BEARER, 'refresh_token'];

async function clients() {
  const keys = await Promise.all(
    ['rsa2048-pkcs8.pem', 'p256-pkcs8.pem', 'p384-sec1.pem', 'p521-pkcs8.pem', 'ed25519-pkcs8.pem']
      .map(publicJwkOfFixture),
  );
  const common = { grant_types: grantTypes, response_types: [], redirect_uris: [] };
  return [
    { ...common, client_id: BASIC_ID, client_secret: BASIC_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
    { ...common, client_id: 'cc-post', client_secret: POST_SECRET, token_endpoint_auth_method: 'client_secret_post' },
    { ...common, client_id: 'cc-jwt', client_secret: JWT_SECRET, token_endpoint_auth_method: 'client_secret_jwt' },
    { ...common, client_id: 'cc-pkjwt', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys } },
    {
      client_id: 'public-app', token_endpoint_auth_method: 'none',
      grant_types: [TOKEN_EXCHANGE], response_types: [], redirect_uris: [],
    },
    // RFC 8252 native app: any port on the loopback redirect URIs, PKCE required
    {
      client_id: NATIVE_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1/logged-out'],
    },
    ...dpopClients(),
    humanClient(),
    ...signInClients(keys[1]),
  ];
}

// PAR, JAR and JARM (RFC 9126, 9101, JARM; issue 17): native clients that
// must push their authorization requests (with DPoP-bound tokens), and that
// must sign them with the P-256 fixture key (request objects), answered in
// signed responses (response_mode=jwt) on request.
const PAR_NATIVE_ID = 'par-native-app';
const JAR_NATIVE_ID = 'jar-native-app';

function signInClients(p256) {
  const native = {
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback'],
    authorization_signed_response_alg: 'ES256',
  };
  return [
    { ...native, client_id: PAR_NATIVE_ID, require_pushed_authorization_requests: true, dpop_bound_access_tokens: true },
    {
      ...native,
      client_id: JAR_NATIVE_ID,
      jwks: { keys: [p256] },
      require_signed_request_object: true,
      request_object_signing_alg: 'ES256',
    },
  ];
}

// identityType HUMAN (issue 13): the device flow with an IDaaS-shaped scope
// (audience|value) and a rotating refresh token without offline_access
const HUMAN_ID = 'human-app';
const HUMAN_SCOPE = 'urn:idaas:interop:human|read';

function humanClient() {
  return {
    client_id: HUMAN_ID,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['refresh_token', DEVICE_CODE],
    response_types: [],
    redirect_uris: [],
  };
}

const NATIVE_ID = 'native-app';

// DPoP (RFC 9449, issue 17): clients whose access tokens must be DPoP-bound;
// the OP demands a nonce (DPoP-Nonce) from DPOP_NONCE_ID only.
const DPOP_ID = 'dpop-client';
const DPOP_NONCE_ID = 'dpop-nonce-client';
const DPOP_SECRET = 'dpop-secret';
const DPOP_NATIVE_ID = 'dpop-native-app';
// the credential providers' scope form (`audience|value`), accepted for client credentials
const IDAAS_SCOPE = 'idaas.interop|api:read';

function dpopClients() {
  const confidential = {
    grant_types: grantTypes, response_types: [], redirect_uris: [],
    client_secret: DPOP_SECRET, token_endpoint_auth_method: 'client_secret_basic',
    dpop_bound_access_tokens: true,
  };
  return [
    { ...confidential, client_id: DPOP_ID },
    { ...confidential, client_id: DPOP_NONCE_ID },
    {
      client_id: DPOP_NATIVE_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      dpop_bound_access_tokens: true,
    },
  ];
}

// ---------------------------------------------------------------- grant handlers

/** Trusted jwt-bearer assertion issuers: issuer → JWK set. */
const trustedIssuers = new Map();
/** `jti`s of assertions already used (replay protection). */
const seenAssertions = new Set();

function grantedScope(requested, allowed) {
  const allow = new Set(allowed);
  return (requested || '').split(' ').filter((s) => allow.has(s)).join(' ') || undefined;
}

/** Finds an opaque token this provider issued, or verifies one of its JWTs. */
async function resolveSubject(provider, token, type) {
  if (type !== ACCESS_TOKEN_TYPE && type !== JWT_TOKEN_TYPE) {
    throw new errors.InvalidRequest('unsupported subject_token_type');
  }
  for (const model of [provider.ClientCredentials, provider.AccessToken]) {
    const found = await model.find(token).catch(() => undefined);
    if (found && !found.isExpired) {
      return { sub: found.accountId || found.clientId, scope: found.scope };
    }
  }
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: publicKeys() }), {
      issuer: provider.issuer,
    });
    return { sub: payload.sub || payload.client_id, scope: payload.scope };
  } catch {
    throw new errors.InvalidGrant('subject_token is invalid, expired or not issued here');
  }
}

async function tokenExchange(ctx) {
  const { provider, client, params } = ctx.oidc;
  const subject = await resolveSubject(provider, params.subject_token, params.subject_token_type);
  let actor;
  if (params.actor_token) {
    actor = await resolveSubject(provider, params.actor_token, params.actor_token_type);
  }
  const requested = params.requested_token_type || ACCESS_TOKEN_TYPE;
  if (requested !== ACCESS_TOKEN_TYPE) {
    throw new errors.InvalidRequest('only access tokens can be requested');
  }
  if (params.audience && params.audience !== RESOURCE) {
    throw new errors.InvalidTarget('unknown audience');
  }
  const scope = grantedScope(params.scope || subject.scope, ['api:read', 'api:write']);
  const dPoP = await validateDpop(provider, ctx);
  const token = new provider.ClientCredentials({
    client,
    scope,
    extra: { exchanged_sub: subject.sub, ...(actor ? { act: { sub: actor.sub } } : {}) },
  });
  await applyDpopBinding(provider, ctx, dPoP, token);
  const value = await token.save();
  ctx.body = {
    access_token: value,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: token.tokenType,
    expires_in: token.expiration,
    ...(scope ? { scope } : {}),
  };
}

async function jwtBearer(ctx) {
  const { provider, client, params } = ctx.oidc;
  let payload;
  try {
    const unverified = JSON.parse(Buffer.from(params.assertion.split('.')[1], 'base64url'));
    const jwks = trustedIssuers.get(unverified.iss);
    if (!jwks) throw new Error('untrusted issuer');
    decodeProtectedHeader(params.assertion);
    ({ payload } = await jwtVerify(params.assertion, createLocalJWKSet(jwks), {
      issuer: unverified.iss,
      audience: provider.issuer,
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    }));
  } catch (e) {
    throw new errors.InvalidGrant(`assertion rejected: ${e.message}`);
  }
  if (seenAssertions.has(payload.jti)) {
    throw new errors.InvalidGrant('assertion replayed');
  }
  seenAssertions.add(payload.jti);
  const scope = grantedScope(payload.scope, ['openid', 'profile', 'offline_access', 'api:read']);
  const grant = new provider.Grant({ accountId: payload.sub, clientId: client.clientId });
  grant.addOIDCScope(scope || 'openid');
  const grantId = await grant.save();
  const common = { accountId: payload.sub, client, grantId, scope: scope || 'openid', gty: 'jwt_bearer' };
  const dPoP = await validateDpop(provider, ctx);
  const at = new provider.AccessToken({ ...common, extra: { purpose: payload.purpose } });
  await applyDpopBinding(provider, ctx, dPoP, at);
  const body = {
    access_token: await at.save(),
    token_type: at.tokenType,
    expires_in: at.expiration,
    scope: at.scope,
  };
  if ((scope || '').split(' ').includes('offline_access')) {
    const rt = new provider.RefreshToken({ ...common });
    body.refresh_token = await rt.save();
  }
  ctx.body = body;
}


// ---------------------------------------------------------------- accounts

/** Fixed test accounts: login (email) → password, subject and claims. */
const ACCOUNTS = {
  'alice@example.com': {
    password: 'alice-password',
    sub: 'usr_alice',
    organizations: {
      acme: { title: 'Acme', scopes: ['owner', 'projects:**'], joined_at: 1700000000 },
      globex: { title: 'Globex', scopes: ['users:read'], joined_at: 1700000001 },
    },
  },
  'bob@example.com': {
    password: 'bob-password',
    sub: 'usr_bob',
    organizations: { acme: { title: 'Acme', scopes: ['member', 'projects:read'], joined_at: 1700000002 } },
  },
};
const BY_SUB = new Map(Object.entries(ACCOUNTS).map(([email, a]) => [a.sub, { email, ...a }]));

async function findAccount(_ctx, id) {
  const account = BY_SUB.get(id);
  // subjects of jwt-bearer assertions are nobody's login: bare accounts
  if (!account) return { accountId: id, claims: async () => ({ sub: id }) };
  return {
    accountId: id,
    claims: async () => ({
      sub: id,
      email: account.email,
      email_verified: true,
      organizations: account.organizations,
    }),
  };
}

// ---------------------------------------------------------------- interaction pages

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>`
    + `<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function loginPage(uid, error) {
  return page('Sign in', `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="/interaction/${uid}/login">
      <label>Email <input type="email" name="login" id="login" autofocus></label>
      <label>Password <input type="password" name="password" id="password"></label>
      <button type="submit" id="submit">Sign in</button>
    </form>`);
}

function consentPage(uid, client, scopes) {
  return page('Authorize', `<p>${escapeHtml(client)} asks for: ${scopes.map(escapeHtml).join(', ')}</p>
    <form method="post" action="/interaction/${uid}/confirm">
      <button type="submit" id="allow">Allow</button>
    </form>`);
}

/** GET /interaction/:uid, POST …/login, POST …/confirm. */
async function interaction(provider, req, res) {
  const [, , uid, action] = new URL(req.url, 'http://x').pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return sendHtml(res, 400, page('Wrong interaction', ''));
  const { prompt, params, session } = details;
  if (req.method === 'GET' && !action) {
    if (prompt.name === 'login') return sendHtml(res, 200, loginPage(uid));
    const scopes = [...(prompt.details.missingOIDCScope || [])];
    return sendHtml(res, 200, consentPage(uid, params.client_id, scopes));
  }
  if (req.method === 'POST' && action === 'login') {
    const { login, password } = await readForm(req);
    const account = ACCOUNTS[login];
    if (!account || account.password !== password) {
      return sendHtml(res, 200, loginPage(uid, 'Invalid email or password.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
  }
  if (req.method === 'POST' && action === 'confirm') {
    await readForm(req);
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }
  return sendHtml(res, 404, page('Not found', ''));
}

// The device flow and logout pages: minimal HTML around the provider's own
// forms (which carry the xsrf token).
const deviceFlow = {
  enabled: true,
  userCodeInputSource: async (ctx, form, _out, err) => {
    ctx.body = page('Enter the code', `${err ? '<p class="error">Unknown or expired code.</p>' : ''}${form}
      <button type="submit" form="op.deviceInputForm">Continue</button>`);
  },
  userCodeConfirmSource: async (ctx, form, client, _info, userCode) => {
    ctx.body = page('Confirm the device', `<p>${escapeHtml(client.clientId)} shows <code>${escapeHtml(userCode)}</code></p>${form}
      <button type="submit" form="op.deviceConfirmForm">Continue</button>`);
  },
  successSource: async (ctx) => {
    ctx.body = page('Device signed in', '<p>You can return to your device.</p>');
  },
};

const rpInitiatedLogout = {
  enabled: true,
  logoutSource: async (ctx, form) => {
    ctx.body = page('Sign out', form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>'));
  },
  postLogoutSuccessSource: async (ctx) => {
    ctx.body = page('Signed out', '');
  },
};

// ---------------------------------------------------------------- provider

// one per process: nonces stay valid across /admin/rotate
const DPOP_NONCE_SECRET = randomBytes(32);

function publicKeys() {
  return providerKeys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub);
}

async function buildProvider(issuer) {
  const provider = new Provider(issuer, {
    clients: await clients(),
    jwks: { keys: providerKeys },
    findAccount,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], organizations: ['organizations'] },
    conformIdTokenClaims: false,
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    pkce: { required: () => true },
    cookies: { keys: ['idaas-interop-cookie-key'] },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: [
        'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
        'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519',
      ],
      dPoPSigningAlgValues: ['ES256', 'EdDSA', 'Ed25519', 'RS256'],
    },
    scopes: [
      'openid', 'offline_access', 'profile', 'email', 'organizations', 'api:read', 'api:write',
      // an IDaaS `audience|value` scope, for the credential providers (issue 17)
      IDAAS_SCOPE,
      HUMAN_SCOPE,
    ],
    // the default rule, plus: the HUMAN client always gets a refresh token
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && (code.scopes.has('offline_access') || client.clientId === HUMAN_ID),
    // keep the claims a grant handler set (token exchange's exchanged_sub and
    // act, jwt-bearer's purpose): the opaque format would otherwise drop them,
    // and introspection shows them
    extraTokenClaims: (_ctx, token) => token.extra,
    features: {
      devInteractions: { enabled: false },
      dPoP: {
        enabled: true,
        nonceSecret: DPOP_NONCE_SECRET,
        requireNonce: (ctx) => ctx.oidc?.client?.clientId === DPOP_NONCE_ID,
      },
      clientCredentials: { enabled: true },
      // issue 17: PAR is on by default; request objects and JARM too
      pushedAuthorizationRequests: { enabled: true },
      requestObjects: { enabled: true },
      jwtResponseModes: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      deviceFlow,
      rpInitiatedLogout,
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== RESOURCE && resource !== RESOURCE_RS) throw new errors.InvalidTarget('unknown resource');
          return {
            scope: 'api:read api:write',
            audience: resource,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: resource === RESOURCE ? 'ES256' : 'RS256' } },
          };
        },
      },
    },
    ttl: {
      ClientCredentials: 600, AccessToken: 600, RefreshToken: 3600, Grant: 3600,
      AuthorizationCode: 60, DeviceCode: 600, IdToken: 3600, Interaction: 600, Session: 3600,
    },
  });
  provider.registerGrantType(TOKEN_EXCHANGE, tokenExchange, [
    'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type',
    'requested_token_type', 'audience', 'resource', 'scope',
  ]);
  provider.registerGrantType(JWT_BEARER, jwtBearer, ['assertion', 'scope']);
  return provider;
}

// ---------------------------------------------------------------- mutual TLS (RFC 8705)

const TLS_FIXTURES = join(HERE, '..', 'crates', 'idaas-core', 'tests', 'fixtures', 'tls');
const tlsFixture = (name) => readFileSync(join(TLS_FIXTURES, name), 'utf8');
const MTLS_PKI_ID = 'mtls-pki';
const MTLS_SELF_SIGNED_ID = 'mtls-self-signed';
// a client_secret_basic client of the https provider (issue 13: a private
// CA trusted by SSL_CERT_FILE, caCertificateFile or --ca-file)
const TLS_SECRET_ID = 'tls-secret';
const TLS_SECRET = 'tls-secret-secret';
// RFC 4514 form of client.pem's subject (node prints it most significant first)
const MTLS_SUBJECT_DN = 'CN=idaas-mtls-client,O=idaas test';

function peerCertificate(ctx) {
  return ctx.socket?.getPeerX509Certificate?.() || undefined;
}

async function mtlsClients() {
  const selfSigned = new X509Certificate(tlsFixture('self-signed.pem'));
  const jwk = selfSigned.publicKey.export({ format: 'jwk' });
  const common = {
    grant_types: ['client_credentials', DEVICE_CODE],
    response_types: [], redirect_uris: [],
    tls_client_certificate_bound_access_tokens: true,
  };
  return [
    { ...common, client_id: MTLS_PKI_ID, token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: MTLS_SUBJECT_DN },
    {
      ...common,
      client_id: MTLS_SELF_SIGNED_ID,
      token_endpoint_auth_method: 'self_signed_tls_client_auth',
      jwks: { keys: [{ ...jwk, x5c: [selfSigned.raw.toString('base64')] }] },
    },
    {
      client_id: TLS_SECRET_ID, client_secret: TLS_SECRET, token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'], response_types: [], redirect_uris: [],
    },
  ];
}

async function buildMtlsProvider(issuer, aliasOrigin) {
  const alias = (path) => `${aliasOrigin}${path}`;
  return new Provider(issuer, {
    clients: await mtlsClients(),
    jwks: { keys: providerKeys },
    clientAuthMethods: ['tls_client_auth', 'self_signed_tls_client_auth', 'client_secret_basic'],
    scopes: ['api:read', 'api:write', IDAAS_SCOPE],
    discovery: {
      mtls_endpoint_aliases: {
        token_endpoint: alias('/token'),
        introspection_endpoint: alias('/token/introspection'),
        revocation_endpoint: alias('/token/revocation'),
        device_authorization_endpoint: alias('/device/auth'),
        pushed_authorization_request_endpoint: alias('/request'),
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      deviceFlow,
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: peerCertificate,
        // the listener's CA is the client CA: node verified the chain
        certificateAuthorized: (ctx) => ctx.socket?.authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => property === 'tls_client_auth_subject_dn'
          && peerCertificate(ctx)?.subject === expected.split(',').reverse().join('\n'),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== RESOURCE) throw new errors.InvalidTarget('unknown resource');
          return {
            scope: 'api:read api:write', audience: resource, accessTokenTTL: 300,
            accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    ttl: { ClientCredentials: 600, AccessToken: 600, RefreshToken: 3600, Grant: 3600, DeviceCode: 600 },
  });
}

/** Both https listeners and the provider behind them: the issuer's (no
 * client certificate asked for) and the mTLS aliases' (asked for, any CA
 * let through to the provider, which decides). */
async function startMtls() {
  const tls = { cert: tlsFixture('server.pem'), key: tlsFixture('server.key') };
  let mtlsHandler = (_req, res) => reply(res, 503, { error: 'starting' });
  const route = (req, res) => mtlsHandler(req, res);
  const plain = createHttpsServer(tls, route);
  const mutual = createHttpsServer({ ...tls, requestCert: true, rejectUnauthorized: false, ca: tlsFixture('client-ca.pem') }, route);
  const listen = (server) => new Promise((done) => server.listen(0, '127.0.0.1', () => done(server.address().port)));
  const [port, aliasPort] = [await listen(plain), await listen(mutual)];
  const issuer = `https://localhost:${port}`;
  const aliasOrigin = `https://localhost:${aliasPort}`;
  mtlsHandler = (await buildMtlsProvider(issuer, aliasOrigin)).callback();
  return {
    issuer,
    alias_origin: aliasOrigin,
    ca: join(TLS_FIXTURES, 'ca.pem'),
    resource: RESOURCE,
    clients: {
      pki: { id: MTLS_PKI_ID, subject_dn: MTLS_SUBJECT_DN },
      self_signed: { id: MTLS_SELF_SIGNED_ID },
      secret: { id: TLS_SECRET_ID, secret: TLS_SECRET },
    },
  };
}

// ---------------------------------------------------------------- server

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

let handler = (_req, res) => reply(res, 503, { error: 'starting' });
let current;

const server = createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/admin/rotate') {
      const issuer = `http://127.0.0.1:${server.address().port}`;
      providerKeys = [...signingKeys(), ...providerKeys];
      current = await buildProvider(issuer);
      handler = current.callback();
      return reply(res, 200, { kids: providerKeys.map((k) => k.kid) });
    }
    if (req.method === 'POST' && req.url === '/admin/sign') {
      const { alg, header, claims } = await readJson(req);
      const jwk = providerKeys.find((k) => k.alg === alg);
      const jws = await new CompactSign(Buffer.from(JSON.stringify(claims)))
        .setProtectedHeader({ alg, kid: jwk.kid, ...header })
        .sign(await importJWK(jwk, alg));
      return reply(res, 200, { token: jws });
    }
    if (req.method === 'POST' && req.url === '/admin/trust') {
      const { issuer, jwks } = await readJson(req);
      trustedIssuers.set(issuer, jwks);
      return reply(res, 200, { trusted: [...trustedIssuers.keys()] });
    }
    if (req.url.startsWith('/interaction/') && current) {
      return await interaction(current, req, res);
    }
    return handler(req, res);
  } catch (e) {
    return reply(res, 500, { error: 'server_error', error_description: String(e) });
  }
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  current = await buildProvider(issuer);
  handler = current.callback();
  const mtls = await startMtls();
  process.stdout.write(`${JSON.stringify({
    issuer,
    mtls,
    port,
    resource: RESOURCE,
    resource_rs: RESOURCE_RS,
    idaas_scope: IDAAS_SCOPE,
    clients: {
      basic: { id: BASIC_ID, secret: BASIC_SECRET },
      post: { id: 'cc-post', secret: POST_SECRET },
      secret_jwt: { id: 'cc-jwt', secret: JWT_SECRET },
      private_key_jwt: { id: 'cc-pkjwt' },
      public: { id: 'public-app' },
      native: { id: NATIVE_ID },
      dpop: { id: DPOP_ID, secret: DPOP_SECRET },
      dpop_nonce: { id: DPOP_NONCE_ID, secret: DPOP_SECRET },
      dpop_native: { id: DPOP_NATIVE_ID },
      human: { id: HUMAN_ID, scope: HUMAN_SCOPE },
      par_native: { id: PAR_NATIVE_ID },
      jar_native: { id: JAR_NATIVE_ID },
    },
    accounts: Object.fromEntries(Object.entries(ACCOUNTS).map(([login, a]) => [a.sub, { login, password: a.password }])),
  })}\n`);
});

// The test process holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
