/**
 * Builds requests and responses. `createResponse` follows RFC 3261 §8.2.6: it copies Via,
 * From, To, Call-ID and CSeq (and Record-Route for dialog-creating responses) and adds a
 * To tag when the response needs one.
 */

import { fieldKey, headerKey } from './header-names.ts';
import { newTag } from './ids.ts';
import { type HeaderField, SipRequest, SipResponse } from './message.ts';
import { getParam } from './uri.ts';

export const REASON_PHRASES: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASES[status] ?? (status < 200 ? 'Progress' : status < 300 ? 'OK' : 'Error');
}

export interface RequestSpec {
  method: string;
  uri: string;
  /** Header lines in the order they are to be written. */
  headers?: Array<[name: string, value: string]>;
  body?: Buffer | string;
  contentType?: string;
}

export function createRequest(spec: RequestSpec): SipRequest {
  const headers: HeaderField[] = (spec.headers ?? []).map(([name, value]) => ({ name, value }));
  const req = new SipRequest(spec.method, spec.uri, headers, toBody(spec.body));
  if (spec.contentType && req.body.length > 0) req.set('Content-Type', spec.contentType);
  return req;
}

export interface ResponseOptions {
  reason?: string;
  /** To tag to add when the request's To has none (ignored for 100). Defaults to a new random tag. */
  toTag?: string;
  headers?: Array<[name: string, value: string]>;
  body?: Buffer | string;
  contentType?: string;
}

/** Builds a response to `req` (RFC 3261 §8.2.6.2). */
export function createResponse(req: SipRequest, status: number, opts: ResponseOptions = {}): SipResponse {
  const res = new SipResponse(status, opts.reason ?? reasonPhrase(status), [], toBody(opts.body));
  // One pass over the request's header lines: every Via and Record-Route, the first From, To,
  // Call-ID and CSeq; then they are written in that order (§8.2.6.2).
  const vias: HeaderField[] = [];
  const recordRoutes: HeaderField[] = [];
  let from: HeaderField | undefined;
  let to: HeaderField | undefined;
  let callId: HeaderField | undefined;
  let cseq: HeaderField | undefined;
  for (const h of req.headers) {
    switch (fieldKey(h)) {
      case 'via':
        vias.push(h);
        break;
      case 'from':
        from ??= h;
        break;
      case 'to':
        to ??= h;
        break;
      case 'call-id':
        callId ??= h;
        break;
      case 'cseq':
        cseq ??= h;
        break;
      case 'record-route':
        recordRoutes.push(h);
        break;
    }
  }
  const headers = res.headers;
  // Each line carries its key (HeaderField.key), as append() writes it.
  for (const h of vias) headers.push({ name: h.name, value: h.value, key: 'via' });
  if (from) headers.push({ name: 'From', value: from.value, key: 'from' });
  if (to) {
    const hasTag = req.to ? getParam(req.to.params, 'tag') !== undefined : /;\s*tag=/i.test(to.value);
    const tag = status > 100 && !hasTag ? (opts.toTag ?? newTag()) : undefined;
    headers.push({ name: 'To', value: tag ? `${to.value};tag=${tag}` : to.value, key: 'to' });
  }
  if (callId) headers.push({ name: 'Call-ID', value: callId.value, key: 'call-id' });
  if (cseq) headers.push({ name: 'CSeq', value: cseq.value, key: 'cseq' });
  if (status > 100 && status < 300 && isDialogCreating(req.method)) {
    for (const h of recordRoutes) headers.push({ name: h.name, value: h.value, key: 'record-route' });
  }
  for (const [n, v] of opts.headers ?? []) headers.push({ name: n, value: v, key: headerKey(n) });
  if (opts.contentType && res.body.length > 0) res.set('Content-Type', opts.contentType);
  return res;
}

export function isDialogCreating(method: string): boolean {
  return method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER';
}

/** The body as bytes; undefined (the message's shared empty body) when there is none. */
function toBody(body: Buffer | string | undefined): Buffer | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
