/**
 * flask-sse channels ↔ hub topics, and the channel a stream request asks for.
 *
 * Mapping: the topic of channel `c` is the RFC 6570 expansion of the URI
 * template `<prefix>{channel}` with `channel = c` (prefix `flask-sse:` by
 * default): letters, digits and `-._~` are kept, every other character is
 * written as the `%XX` triplets of its UTF-8 bytes (uppercase hex), `%`
 * itself included. So `sse` → `flask-sse:sse`, `news/eu` →
 * `flask-sse:news%2Feu`, `café` → `flask-sse:caf%C3%A9`, `a%2Fb` →
 * `flask-sse:a%252Fb`. One-to-one: two channels never share a topic, and
 * the template `flask-sse:{channel}` in a JWT's `mercure.subscribe` matches
 * the topic of every channel (and nothing else of that form), while
 * `flask-sse:news` matches one.
 *
 * Channel of a request, as flask-sse's `stream()` reads it:
 * `request.args.get('channel') or 'sse'`: the first `channel` query
 * parameter (form-decoded: `+` is a space, invalid UTF-8 becomes U+FFFD,
 * as Werkzeug decodes it), `sse` when absent or empty.
 */
import { encodeTemplateValue } from '../../hub/uri-template-expand.js';
import { SseError } from '../../protocol/sse-error.js';
import { splitTarget } from '../../response/request-target.js';

/** flask-sse's default channel (`publish(..., channel='sse')`, `stream()` without `channel`). */
export const DEFAULT_CHANNEL = 'sse';
/** The query parameter naming the channel of a stream. */
export const CHANNEL_PARAM = 'channel';
/** Default prefix of the topics the bridge publishes to. */
export const DEFAULT_TOPIC_PREFIX = 'flask-sse:';

/**
 * Checks a topic prefix: a string without `{` or `}`, so that
 * `<prefix>{channel}` is a URI template matching exactly the bridge's topics.
 *
 * @throws {SseError} `SSE_ERR_INVALID_OPTION`.
 */
export function checkTopicPrefix(prefix: unknown, option = 'topicPrefix'): string {
  if (prefix === undefined) return DEFAULT_TOPIC_PREFIX;
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new SseError('SSE_ERR_INVALID_OPTION', `"${option}" must be a string without { or }`, {
      field: option,
    });
  }
  return prefix;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The topic of a channel (see the file comment). A lone surrogate (not
 * Unicode; never in a decoded query nor in a UTF-8 channel name) counts as
 * U+FFFD, as a UTF-8 decoder would read it.
 */
export function channelTopic(channel: string, prefix: string = DEFAULT_TOPIC_PREFIX): string {
  return prefix + encodeTemplateValue(channel.replace(LONE_SURROGATE, '\uFFFD'), false);
}

/** The channel a stream request asks for (`request.args.get('channel') or 'sse'`). */
export function requestedChannel(url: string | undefined): string {
  const channel = splitTarget(url).query.get(CHANNEL_PARAM);
  return channel === null || channel === '' ? DEFAULT_CHANNEL : channel;
}
