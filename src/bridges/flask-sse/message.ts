/**
 * One flask-sse message on Redis → the event its blueprint would send, or
 * the reason it cannot be sent.
 *
 * What flask-sse does (flask_sse.py 1.0.0, the latest release):
 * - `sse.publish(data, type=None, id=None, retry=None, channel='sse')`
 *   PUBLISHes `json.dumps(Message(...).to_dict())` on the Redis channel;
 *   `to_dict()` always has `data`, and `type`, `id`, `retry` only when truthy.
 * - The blueprint's `stream()` SUBSCRIBEs to `request.args.get('channel') or
 *   'sse'` and, for each message, does `Message(**json.loads(message))` and
 *   writes `str(message)`: `data` as is when it is a string, else
 *   `json.dumps(data)` (see `python-json.ts`), split with
 *   `str.splitlines()` into `data:<line>` lines; `event:<type>` before them
 *   when `type` is truthy; `id:<id>` then `retry:<retry>` after them when
 *   truthy; lines joined with `\n`, then a blank line. No space after the
 *   colon, no BOM, no comment, no initial `retry`.
 *
 * {@link renderFlaskSseFrame} writes that text exactly; {@link decodeFlaskSseMessage}
 * then reads it with this package's WHATWG parser, so the event ssehub
 * publishes is the one a browser would have dispatched from flask-sse's
 * bytes: one leading space of each value dropped (`type=' x'` is `x`), a
 * `retry` that is not all digits ignored, a block with no `data:` line
 * (`data=""`) dispatching nothing.
 *
 * Malformed (skipped; flask-sse's stream would crash or inject instead):
 * not UTF-8; not JSON (Python's dialect: `NaN` and `Infinity` are JSON
 * there); not an object with `data` and only `data`, `type`, `id`, `retry`
 * (`Message(**d)` raises `TypeError` otherwise); `type` not a string,
 * `id` or `retry` not a string or a number (`null` counts as absent);
 * `event`, `id` or `retry` text containing CR, LF or NUL (an injected field
 * or event in flask-sse), or any text with a lone surrogate (not encodable
 * as UTF-8: Flask fails writing it).
 *
 * @see https://github.com/singingwolfboy/flask-sse/blob/main/flask_sse.py
 */
import { createParser } from '../../protocol/parser.js';
import {
  dumpsPython,
  parsePythonJson,
  PyInt,
  pySplitlines,
  pyStr,
  pyTruthy,
  PythonJsonError,
  type PyValue,
} from './python-json.js';

/** The event a flask-sse message turns into, as an `EventSource` would see it. */
export interface FlaskSseEvent {
  /** The `data` a page gets (lines joined with LF). */
  readonly data: string;
  /** The event type; `undefined` for the default `message`. */
  readonly type: string | undefined;
  /** The event id; `undefined` when the message has none (ssehub assigns one). */
  readonly id: string | undefined;
  /** The reconnection time, when the message sets a valid one. */
  readonly retry: number | undefined;
}

/** Why a message was skipped (a bounded set: it labels a metric). */
export type MalformedReason =
  /** Not UTF-8 (a BOM is allowed), or a text with a lone surrogate. */
  | 'encoding'
  /** Not JSON as Python reads it. */
  | 'json'
  /** Not an object of `data` plus optional `type`, `id`, `retry`. */
  | 'shape'
  /** A field of the wrong type, or CR, LF or NUL in `type`, `id` or `retry`. */
  | 'field'
  /** Larger than the bridge accepts. */
  | 'too-large'
  /** Well-formed, but the hub refused the update (a reserved id, data over its limit). */
  | 'refused';

/** The result of {@link decodeFlaskSseMessage}. */
export type DecodedMessage =
  | {
      readonly ok: true;
      /** `undefined` when flask-sse's frame dispatches no event (`data` is `""`). */
      readonly event: FlaskSseEvent | undefined;
      /** The exact text flask-sse's blueprint writes for this message. */
      readonly frame: string;
    }
  | { readonly ok: false; readonly reason: MalformedReason; readonly detail: string };

const FIELDS = new Set(['data', 'type', 'id', 'retry']);
const UNSAFE_IN_FIELD = /[\r\n\0]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function malformed(reason: MalformedReason, detail: string): DecodedMessage {
  return { ok: false, reason, detail };
}

/** A message's fields after `json.loads`, checked. */
export interface FlaskSseMessage {
  readonly data: PyValue;
  readonly type: PyValue;
  readonly id: PyValue;
  readonly retry: PyValue;
}

function scalarText(value: PyValue): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || value instanceof PyInt
    ? pyStr(value)
    : undefined;
}

/**
 * The exact text flask-sse's `Message.__str__` writes, or the reason it
 * cannot be written safely. `type` must be a string; `id` and `retry` a
 * string or a number (Python writes `str(value)`: `7`, `1.5`, `nan`).
 */
export function renderFlaskSseFrame(
  message: FlaskSseMessage,
): { ok: true; frame: string } | { ok: false; reason: MalformedReason; detail: string } {
  const fields: [name: string, value: PyValue][] = [
    ['type', message.type],
    ['id', message.id],
    ['retry', message.retry],
  ];
  const texts: (string | undefined)[] = [];
  for (const [name, value] of fields) {
    if (!pyTruthy(value)) {
      texts.push(undefined);
      continue;
    }
    const text = name === 'type' && typeof value !== 'string' ? undefined : scalarText(value);
    if (text === undefined) {
      return {
        ok: false,
        reason: 'field',
        detail: `"${name}" must be a ${name === 'type' ? 'string' : 'string or a number'}`,
      };
    }
    if (UNSAFE_IN_FIELD.test(text)) {
      return { ok: false, reason: 'field', detail: `"${name}" contains CR, LF or NUL` };
    }
    texts.push(text);
  }
  const [type, id, retry] = texts;
  const data = typeof message.data === 'string' ? message.data : dumpsPython(message.data);
  for (const text of [data, type, id, retry]) {
    if (text !== undefined && LONE_SURROGATE.test(text)) {
      return { ok: false, reason: 'encoding', detail: 'a lone surrogate is not UTF-8' };
    }
  }
  // [flask_sse.py, Message.__str__]
  const lines = pySplitlines(data).map((line) => `data:${line}`);
  if (type !== undefined) lines.unshift(`event:${type}`);
  if (id !== undefined) lines.push(`id:${id}`);
  if (retry !== undefined) lines.push(`retry:${retry}`);
  return { ok: true, frame: lines.join('\n') + '\n\n' };
}

/** Reads the message's JSON object; `undefined` with a reason when it is not one. */
function readMessage(text: string): FlaskSseMessage | DecodedMessage {
  let value: PyValue;
  try {
    value = parsePythonJson(text);
  } catch (error) {
    if (error instanceof PythonJsonError) return malformed('json', error.message);
    throw error;
  }
  if (!(value instanceof Map)) return malformed('shape', 'not a JSON object');
  const dict = value as ReadonlyMap<string, PyValue>;
  for (const key of dict.keys()) {
    if (!FIELDS.has(key)) {
      return malformed('shape', `unexpected key ${JSON.stringify(key)}`);
    }
  }
  if (!dict.has('data')) return malformed('shape', 'no "data"');
  return {
    data: dict.get('data') ?? null,
    type: dict.get('type') ?? null,
    id: dict.get('id') ?? null,
    retry: dict.get('retry') ?? null,
  };
}

/**
 * Decodes one Redis message (its bytes, or text) into the event flask-sse's
 * blueprint would send. Never throws.
 */
export function decodeFlaskSseMessage(message: Uint8Array | string): DecodedMessage {
  let text: string;
  if (typeof message === 'string') text = message;
  else {
    try {
      // Python decodes the bytes as UTF-8, a leading BOM dropped (`utf-8-sig`).
      text = decoder.decode(message);
    } catch {
      return malformed('encoding', 'not UTF-8');
    }
  }
  const read = readMessage(text);
  if ('ok' in read) return read;
  const rendered = renderFlaskSseFrame(read);
  if (!rendered.ok) return rendered;
  const { frame } = rendered;
  // What a browser makes of flask-sse's bytes: the WHATWG parser, fed the frame.
  let event: FlaskSseEvent | undefined;
  let retry: number | undefined;
  const parser = createParser(
    {
      onEvent: (parsed) => {
        event = {
          data: parsed.data,
          type: parsed.type === 'message' ? undefined : parsed.type,
          id: parsed.lastEventId === '' ? undefined : parsed.lastEventId,
          retry: undefined,
        };
      },
      onRetry: (ms) => {
        retry = ms;
      },
    },
    // The frame is bounded by the message; no second limit here.
    { maxEventSize: frame.length + 1 },
  );
  parser.feed(frame);
  if (event !== undefined && retry !== undefined) event = { ...event, retry };
  return { ok: true, event, frame };
}
