/** One route of the hub server: a `GET` (or `HEAD`, then `head` is true) handler. */
import type { NodeSseRequest, NodeSseResponse } from '../../response/adapters/node-http.js';

export type Route = (req: NodeSseRequest, res: NodeSseResponse, head: boolean) => void;
