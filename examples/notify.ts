/**
 * Publishing over HTTP, as a cron job, a deploy script or another service
 * would: one form-encoded POST to the hub with a publisher JWT (the Mercure
 * publish API). The dashboard's notifications feed shows it.
 *
 *   npx tsx examples/notify.ts warning "Disk /var is 85 % full"
 *
 * The type is info, warning or alert. HUB_URL (default
 * http://localhost:3000/.well-known/mercure) and JWT_KEY (default: the
 * development key of `ssehub serve --dev`) point it at another hub.
 */
import { signToken } from 'ssehub/http';

const [type = 'info', ...words] = process.argv.slice(2);
const data = words.join(' ') || 'Hello from examples/notify.ts';
const hubUrl = process.env.HUB_URL ?? 'http://localhost:3000/.well-known/mercure';
const topic = 'https://ssehub.dev/demo/notifications';

// A token that may publish to this one topic, valid for a minute. A real
// job would be given it (or the key) by its secret store.
const token = await signToken({
  key: process.env.JWT_KEY ?? '!ChangeThisMercureHubJWTSecretKey!',
  publish: [topic],
  expiresIn: 60,
});

const response = await fetch(hubUrl, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}` },
  body: new URLSearchParams({ topic, type, data }),
});
const text = (await response.text()).trim();
if (response.ok) {
  console.log(`published ${text}`);
} else {
  // The hub says why in one line: a bad token (401), a topic the token does
  // not cover (403), an invalid field (400).
  console.error(`refused: ${response.status} ${text}`);
  process.exitCode = 1;
}
