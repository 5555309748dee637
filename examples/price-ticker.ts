/**
 * Publishing in process: a hub server and, in the same process, a timer that
 * moves a few prices (a random walk) and publishes each with `hub.publish`,
 * on the topics the dashboard charts. Open http://localhost:3000 to see them.
 *
 *   npx tsx examples/price-ticker.ts
 *
 * PORT, HOST and JWT_KEY change the defaults. (`ssehub serve --demo` runs a
 * fuller version of this: src/demo/.)
 */
import { createHubServer } from 'ssehub/http';

const server = createHubServer({
  // Publishers over HTTP need a token signed with this key; this example
  // publishes in process and needs none.
  jwtKey: process.env.JWT_KEY ?? '!ChangeThisMercureHubJWTSecretKey!',
  anonymous: true, // browsers may subscribe to public updates without a token
});

const opening: Record<string, number> = { ACME: 100, GLOBEX: 250, INITECH: 40 };
const prices = new Map(Object.entries(opening));

const timer = setInterval(() => {
  for (const [symbol, price] of prices) {
    // Up or down by at most 0.5 %.
    const next = Math.round(price * (1 + (Math.random() - 0.5) / 100) * 100) / 100;
    prices.set(symbol, next);
    server.hub
      .publish({
        topics: `https://ssehub.dev/demo/prices/${symbol}`,
        type: 'price',
        data: JSON.stringify({ symbol, price: next, open: opening[symbol], time: Date.now() }),
      })
      .catch((error: unknown) => {
        console.error('publish failed', error);
      });
  }
}, 1000);

const port = Number(process.env.PORT ?? 3000);
const address = await server.listen(port, process.env.HOST ?? 'localhost');
console.log(`price ticker on http://localhost:${address.port}/`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearInterval(timer);
    void server.close();
  });
}
