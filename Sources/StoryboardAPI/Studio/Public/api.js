// The one place that talks to the server: bearer token, If-Match, the error envelope.
const TOKEN_KEY = 'storyboard.api-token';

/** An error answer of the API, carrying the envelope's fields. */
export class ApiError extends Error {
  constructor(status, envelope) {
    const error = (envelope && envelope.error) || {};
    super(error.message || `The server answered ${status}`);
    this.status = status;
    this.code = error.code || 'HTTP_' + status;
    this.details = error.details || {};
    this.requestId = error.request_id || null;
  }
  /** Field name → reason, for a 400 VALIDATION_ERROR. */
  get fields() { return this.details.fields || {}; }
}

let askForToken = null;
/** The app installs the prompt it shows on 401; it resolves to a token or null. */
export function onTokenNeeded(prompt) { askForToken = prompt; }

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: 'Bearer ' + token } : {};
}

// Several requests may hit 401 at once; they share one prompt.
let pendingPrompt = null;
async function renewToken(message) {
  if (!askForToken) return false;
  if (!pendingPrompt) {
    pendingPrompt = askForToken(message).finally(() => { pendingPrompt = null; });
  }
  const token = await pendingPrompt;
  if (!token) return false;
  sessionStorage.setItem(TOKEN_KEY, token);
  return true;
}

async function errorFrom(response) {
  let envelope = null;
  try { envelope = await response.json(); } catch { /* not JSON: the status says enough */ }
  return new ApiError(response.status, envelope);
}

/**
 * `api('GET', '/projects')`. `ifMatch` is a resource's version; `body` is sent as JSON.
 * Resolves to the parsed body (null for 204), with the ETag's version as `etagVersion`.
 */
export async function api(method, path, { body, ifMatch, query } = {}) {
  let url = '/api' + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, value);
    }
    const text = params.toString();
    if (text) url += (url.includes('?') ? '&' : '?') + text;
  }
  for (;;) {
    const headers = { ...authHeaders(), Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
    const response = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin',
    });
    if (response.status === 401) {
      const error = await errorFrom(response);
      if (await renewToken(error.message)) continue;
      throw error;
    }
    if (!response.ok) throw await errorFrom(response);
    if (response.status === 204) return null;
    return response.json();
  }
}

/** Every page of a list route, concatenated (the project page needs all scenes, not 50). */
export async function listAll(path, query = {}) {
  const items = [];
  let cursor = null;
  do {
    const page = await api('GET', path, { query: { ...query, limit: 500, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/**
 * A raw upload with progress (fetch has no upload progress; XMLHttpRequest does).
 * `onProgress(fraction)` is called as bytes go out.
 */
export function upload(method, path, file, onProgress) {
  const send = () => new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, '/api' + path);
    for (const [name, value] of Object.entries(authHeaders())) request.setRequestHeader(name, value);
    request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded / event.total);
    });
    request.addEventListener('load', () => {
      let parsed = null;
      try { parsed = request.responseText ? JSON.parse(request.responseText) : null; } catch { parsed = null; }
      if (request.status >= 200 && request.status < 300) resolve(parsed);
      else reject(new ApiError(request.status, parsed));
    });
    request.addEventListener('error', () => reject(new ApiError(0, { error: { message: 'The upload could not reach the server' } })));
    request.send(file);
  });
  return send().catch(async (error) => {
    if (error.status === 401 && await renewToken(error.message)) return send();
    throw error;
  });
}

/**
 * Follows a Server-Sent Events route. EventSource cannot send the Authorization header, so
 * this reads the stream with fetch and does what EventSource does: resume with
 * Last-Event-ID after the stream ends or the network drops. Returns a function that stops it.
 */
export function followEvents(path, onEvent, { onState } = {}) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  let retry = 1000;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const headers = { ...authHeaders(), Accept: 'text/event-stream' };
        if (lastId !== null) headers['Last-Event-ID'] = lastId;
        const response = await fetch('/api' + path, { headers, signal: controller.signal, cache: 'no-store' });
        if (response.status === 401) {
          const error = await errorFrom(response);
          if (!(await renewToken(error.message))) { onState && onState('stopped', error); return; }
          continue;
        }
        if (!response.ok) throw await errorFrom(response);
        onState && onState('open');
        await read(response.body);
      } catch (error) {
        if (stopped) return;
        onState && onState('reconnecting', error);
      }
      if (stopped) return;
      await new Promise((resolve) => setTimeout(resolve, retry));
    }
  }

  async function read(stream) {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        dispatch(block);
      }
    }
  }

  function dispatch(block) {
    let type = 'message';
    const data = [];
    let id = null;
    for (const line of block.split(/\r?\n/)) {
      if (!line || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    }
    if (id !== null) lastId = id;
    if (!data.length) return;
    let parsed;
    try { parsed = JSON.parse(data.join('\n')); } catch { return; }
    onEvent(type, parsed, id);
  }

  connect();
  return () => { stopped = true; if (controller) controller.abort(); };
}

export function hasToken() { return Boolean(sessionStorage.getItem(TOKEN_KEY)); }

/**
 * A media URL the page can use in <img>/<audio>. Without a token the server's URL works as
 * is (and is cached by the browser); with one, an element cannot send the header, so the
 * bytes are fetched here and handed over as a blob: URL.
 */
export async function mediaSource(url) {
  if (!hasToken()) return url;
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw await errorFrom(response);
  return URL.createObjectURL(await response.blob());
}

/** The bytes of a media URL (the song, for the waveform). */
export async function mediaBytes(url) {
  for (;;) {
    const response = await fetch(url, { headers: authHeaders() });
    if (response.status === 401) {
      const error = await errorFrom(response);
      if (await renewToken(error.message)) continue;
      throw error;
    }
    if (!response.ok) throw await errorFrom(response);
    return response.arrayBuffer();
  }
}
