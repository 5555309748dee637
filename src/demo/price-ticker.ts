/**
 * Simulated prices: every symbol takes a random-walk step each tick
 * (geometric: the log of the price moves by a normal draw), published in
 * process with `hub.publish` on its own topic.
 */
import { SseError } from '../protocol/sse-error.js';
import { checkInterval, every, type DemoHub, type DemoTask } from './schedule.js';
import { PRICE_EVENT, priceTopic, type PriceTick } from './topics.js';

/** Symbols of the demo when none are given (made-up companies). */
export const DEFAULT_SYMBOLS: readonly string[] = ['ACME', 'GLOBEX', 'INITECH', 'UMBRELLA'];

/** A symbol is a short name that is safe in a topic IRI and on the page. */
const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/;
/** Most symbols: every one is a chart on the dashboard. */
export const MAX_SYMBOLS = 24;
/** Standard deviation of one step of the log price (0.4 %). */
const VOLATILITY = 0.004;

/** Options of {@link startPriceTicker}. */
export interface PriceTickerOptions {
  /** Symbols to quote; each is published on `priceTopic(symbol)`. @default DEFAULT_SYMBOLS */
  symbols?: readonly string[] | undefined;
  /** Milliseconds between two ticks (every symbol moves on each). @default 1000 */
  interval?: number | undefined;
  /** Uniform random numbers in [0, 1). @default Math.random */
  random?: (() => number) | undefined;
  /** Called when a publish fails (the hub closing stops the ticker instead). @default ignore */
  onError?: ((error: unknown) => void) | undefined;
}

/**
 * Checks a list of symbols.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION` (option `symbols`): empty, too
 * many, duplicates, or a symbol that is not 1 to 16 letters, digits, `.`,
 * `_` or `-` (starting with a letter or digit).
 */
export function checkSymbols(symbols: readonly string[]): readonly string[] {
  const invalid = (problem: string): SseError =>
    new SseError('SSE_ERR_INVALID_OPTION', `"symbols" ${problem}`, { field: 'symbols' });
  if (symbols.length === 0) throw invalid('must name at least one symbol');
  if (symbols.length > MAX_SYMBOLS) throw invalid(`must name at most ${MAX_SYMBOLS} symbols`);
  for (const symbol of symbols) {
    if (!SYMBOL.test(symbol)) {
      throw invalid(
        `must be 1 to 16 letters, digits, ".", "_" or "-"; got ${JSON.stringify(symbol)}`,
      );
    }
  }
  if (new Set(symbols).size !== symbols.length) throw invalid('must not repeat a symbol');
  return symbols;
}

/** A standard normal draw (Box–Muller) from two uniform ones. */
function normal(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) never happens
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One step of the walk: never below one cent. */
export function nextPrice(price: number, random: () => number): number {
  return Math.max(0.01, price * Math.exp(VOLATILITY * normal(random)));
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Starts publishing prices; returns the handle that stops it. */
export function startPriceTicker(hub: DemoHub, options: PriceTickerOptions = {}): DemoTask {
  const symbols = checkSymbols(options.symbols ?? DEFAULT_SYMBOLS);
  const interval = checkInterval('priceInterval', options.interval ?? 1000);
  const random = options.random ?? Math.random;
  const quotes = symbols.map((symbol) => {
    // Opening prices between 20 and 400, so the charts differ in scale.
    const open = round2(20 * Math.exp(3 * random()));
    return { symbol, topic: priceTopic(symbol), open, price: open };
  });
  return every(
    interval,
    async () => {
      const time = Date.now();
      await Promise.all(
        quotes.map((quote) => {
          quote.price = nextPrice(quote.price, random);
          const tick: PriceTick = {
            symbol: quote.symbol,
            price: round2(quote.price),
            open: quote.open,
            time,
          };
          return hub.publish({
            topics: quote.topic,
            type: PRICE_EVENT,
            data: JSON.stringify(tick),
          });
        }),
      );
    },
    options.onError ?? (() => undefined),
  );
}
