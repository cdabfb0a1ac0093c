// Small DOM helpers shared by the views. Styles are set through the CSSOM (element.style),
// never as style attributes, so the page's CSP needs no 'unsafe-inline'.

/** `h('button', {class: 'primary', onclick: save}, 'Save')`. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    // The default too, so that form.reset() goes back to it rather than to empty.
    else if (name === 'value') { element.value = value; if ('defaultValue' in element && tag !== 'select') element.defaultValue = value; }
    else if (name === 'checked') element.checked = Boolean(value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/**
 * A message in the corner. `action` is `{label, run}` (e.g. Undo). Errors stay until closed;
 * others go away after a while.
 */
export function toast(message, { kind = 'info', action = null, timeout = 8000 } = {}) {
  const region = document.getElementById('toasts');
  const close = () => item.remove();
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    h('span', { class: 'toast-text' }, message),
    action && h('button', { type: 'button', onclick: async () => { close(); await action.run(); } }, action.label),
    h('button', { type: 'button', class: 'icon', 'aria-label': 'Dismiss', onclick: close }, '×'));
  region.append(item);
  if (kind !== 'error' && timeout) setTimeout(close, timeout);
  return item;
}

/** Shows an API error's message (the envelope's), or any other error's. */
export function showError(error, prefix = '') {
  const message = (error && error.message) || String(error);
  toast(prefix ? `${prefix}: ${message}` : message, { kind: 'error' });
}

/** Puts each field's reason from a 400 next to its input (`data-field` on the label). */
export function showFieldErrors(form, error) {
  for (const old of form.querySelectorAll('.field-error')) old.remove();
  const fields = (error && error.fields) || {};
  let shown = false;
  for (const [name, reason] of Object.entries(fields)) {
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) continue;
    input.setAttribute('aria-invalid', 'true');
    input.after(h('span', { class: 'field-error', role: 'alert' }, reason));
    shown = true;
  }
  return shown;
}

/** A modal dialog built from `content`; resolves with the value passed to `done`. */
export function dialog(title, build) {
  return new Promise((resolve) => {
    const box = h('dialog', { class: 'dialog', 'aria-label': title });
    let result = null;
    const done = (value) => { result = value; box.close(); };
    box.addEventListener('close', () => { box.remove(); resolve(result); });
    box.append(h('h2', {}, title), build(done));
    document.body.append(box);
    box.showModal();
    const first = box.querySelector('input, textarea, select, button');
    if (first) first.focus();
  });
}

/** Asks for a line of text; resolves to it, or null when cancelled. */
export function ask(title, { label = 'Name', value = '', type = 'text', submit = 'Save' } = {}) {
  return dialog(title, (done) => {
    const input = h('input', { name: 'value', type, value, required: true, autocomplete: 'off' });
    return h('form', { method: 'dialog', onsubmit: (event) => { event.preventDefault(); done(input.value); } },
      h('label', {}, label, input),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => done(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, submit)));
  });
}

export function confirmAction(title, text, submit = 'Delete') {
  return dialog(title, (done) => h('div', {},
    h('p', {}, text),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => done(false) }, 'Cancel'),
      h('button', { type: 'button', class: 'danger', onclick: () => done(true) }, submit))));
}

export function formatTime(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  const sign = seconds < 0 ? '-' : '';
  const total = Math.abs(seconds);
  const minutes = Math.floor(total / 60);
  const rest = total - minutes * 60;
  return `${sign}${minutes}:${rest.toFixed(1).padStart(4, '0')}`;
}

export function formatDate(text) {
  if (!text) return '';
  const date = new Date(text);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Client-side navigation; app.js listens for it. */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event('storyboard:navigate'));
}
