// A real OpenID provider (oidc-provider) on loopback, for the browser SSO test.
//   node provider.mjs --port P --client-id ID --client-secret S --redirect-uri URI
// Prints `ready http://127.0.0.1:PORT` once listening; nothing else goes to stdout.
// Sign-in: oidc-provider's built-in login form (any login, any password);
// consent is granted automatically (see loadExistingGrant).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
  },
});
for (const name of ['client-id', 'client-secret', 'redirect-uri']) {
  if (!args[name]) {
    console.error(`usage: node provider.mjs --port P --client-id ID --client-secret S --redirect-uri URI (missing --${name})`);
    process.exit(2);
  }
}

// oidc-provider prints its notices with console.info; stdout must carry only the ready line.
console.log = console.info = console.error;
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'rs256-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    token_endpoint_auth_method: 'client_secret_basic', // oidc-provider accepts client_secret_post for it too
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [args['redirect-uri']],
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // Put the scope claims (email, name...) in the ID token itself, not only at /me:
  // the relying party reads them from the ID token.
  conformIdTokenClaims: false,
  async findAccount(ctx, login) {
    return {
      accountId: login,
      async claims() {
        return {
          sub: login,
          email: `${login}@example.com`,
          email_verified: true,
          name: login,
          preferred_username: login,
        };
      },
    };
  },
  // Auto-consent: the one client gets openid email profile without a consent page.
  async loadExistingGrant(ctx) {
    const { client, session, result } = ctx.oidc;
    const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// Say on stderr why a request was refused: the HTTP answers only give the error code.
for (const event of ['authorization.error', 'grant.error', 'userinfo.error', 'server_error']) {
  provider.on(event, (ctx, err) => console.error(`provider: ${event}: ${err.message} ${err.error_detail ?? ''} ${err.cause?.message ?? ''}`));
}

server.on('request', provider.callback());
process.stdout.write(`ready ${issuer}\n`);
