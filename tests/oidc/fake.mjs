// A fake, minimal OpenID provider (node built-ins only) that tests drive by plain HTTP
// to prove the relying party refuses bad ID tokens.
//   node fake.mjs --port P        (0 = a free port; prints `ready http://127.0.0.1:PORT`)
// The client_id picks how the ID token is spoiled: good, bad-signature, wrong-audience,
// wrong-issuer, wrong-nonce, expired, alg-none (anything else = good). Secret: "secret".
// POST /identity {sub, email, email_verified, name} sets who the following authorizations
// carry (it stays until the next POST). GET /stats counts authorizations and token requests.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' } } });

const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rogueKey = generateKeyPairSync('rsa', { modulusLength: 2048 }); // never published
const SECRET = 'secret';

let issuer;
let identity = { sub: 'fake-1', email: 'fake1@example.com', email_verified: true, name: 'Fake One' };
const codes = new Map();
const stats = { authorizations: 0, token_requests: 0, tokens_issued: 0 };

const b64url = (data) => Buffer.from(data).toString('base64url');

function idToken(clientId, code) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: 'k1' };
  const claims = {
    iss: issuer, sub: code.identity.sub, aud: clientId, exp: now + 300, iat: now, nonce: code.nonce,
    email: code.identity.email, email_verified: code.identity.email_verified, name: code.identity.name,
  };
  let signer = key.privateKey;
  switch (clientId) {
    case 'bad-signature': signer = rogueKey.privateKey; break;
    case 'wrong-audience': claims.aud = 'someone-else'; break;
    case 'wrong-issuer': claims.iss = 'http://evil.example'; break;
    case 'wrong-nonce': claims.nonce = 'not-the-nonce'; break;
    case 'expired': claims.iat = now - 1200; claims.exp = now - 600; break;
    case 'alg-none': return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
  }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign('sha256', Buffer.from(input), signer).toString('base64url')}`;
}

function send(res, status, body, headers = {}) {
  if (body !== undefined && typeof body !== 'string') {
    body = JSON.stringify(body);
    headers = { 'content-type': 'application/json', ...headers };
  } else if (body !== undefined) {
    headers = { 'content-type': 'text/plain; charset=utf-8', ...headers };
  }
  res.writeHead(status, { 'cache-control': 'no-store', ...headers });
  res.end(body);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function authorize(url, res) {
  const p = Object.fromEntries(url.searchParams);
  for (const name of ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method']) {
    if (!p[name]) return send(res, 400, `missing ${name}\n`);
  }
  if (p.response_type !== 'code') return send(res, 400, 'response_type must be code\n');
  if (p.code_challenge_method !== 'S256') return send(res, 400, 'code_challenge_method must be S256\n');
  if (!p.scope.split(' ').includes('openid')) return send(res, 400, 'scope must include openid\n');
  const target = URL.parse(p.redirect_uri);
  if (!target) return send(res, 400, 'redirect_uri is not a URL\n');

  const code = randomBytes(24).toString('base64url');
  codes.set(code, {
    client_id: p.client_id, redirect_uri: p.redirect_uri, nonce: p.nonce,
    code_challenge: p.code_challenge, identity: { ...identity }, used: false,
  });
  stats.authorizations += 1;
  target.searchParams.append('code', code);
  target.searchParams.append('state', p.state);
  send(res, 302, undefined, { location: target.href });
}

// Client credentials per RFC 6749 2.3.1: HTTP Basic of form-urlencoded id:secret, or in the body.
function clientCredentials(req, form) {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const unform = (s) => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
    } catch {
      return null;
    }
  }
  return { id: form.get('client_id'), secret: form.get('client_secret') };
}

async function token(req, res) {
  stats.token_requests += 1;
  const form = new URLSearchParams(await readBody(req));
  const client = clientCredentials(req, form);
  const unauthorized = () => send(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="fake"' });
  if (!client?.id || client.secret !== SECRET) return unauthorized();
  if (form.get('grant_type') !== 'authorization_code') return send(res, 400, { error: 'unsupported_grant_type' });

  const code = codes.get(form.get('code') ?? '');
  if (!code || code.used) return send(res, 400, { error: 'invalid_grant' });
  code.used = true; // any attempt burns the code, as a real provider should
  if (client.id !== code.client_id) return unauthorized();
  if (form.get('redirect_uri') !== code.redirect_uri) return send(res, 400, { error: 'invalid_grant' });
  const verifier = form.get('code_verifier') ?? '';
  if (createHash('sha256').update(verifier).digest('base64url') !== code.code_challenge) {
    return send(res, 400, { error: 'invalid_grant' });
  }

  stats.tokens_issued += 1;
  send(res, 200, {
    access_token: randomBytes(24).toString('base64url'),
    token_type: 'Bearer',
    expires_in: 300,
    id_token: idToken(client.id, code),
  });
}

async function handle(req, res) {
  const url = new URL(req.url, issuer);
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case 'GET /.well-known/openid-configuration':
      return send(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['openid', 'email', 'profile'],
        claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'email', 'email_verified', 'name'],
        code_challenge_methods_supported: ['S256'],
        grant_types_supported: ['authorization_code'],
      });
    case 'GET /jwks':
      return send(res, 200, { keys: [{ ...key.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] });
    case 'POST /identity':
      try {
        identity = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, 'body must be JSON\n');
      }
      return send(res, 204);
    case 'GET /auth':
      return authorize(url, res);
    case 'POST /token':
      return token(req, res);
    case 'GET /stats':
      return send(res, 200, stats);
    default:
      return send(res, 404);
  }
}

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

const server = createServer((req, res) => handle(req, res).catch((err) => {
  console.error(err);
  if (!res.headersSent) send(res, 500, 'internal error\n');
}));
server.listen(Number(args.port), '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`ready ${issuer}\n`);
});
