// Generation servers: add (ComfyUI or RunPod; the API key is write-only), check, online state,
// latency, queue, models; pause and delete.
import { api, listAll } from '../api.js';
import { h, clear, toast, showError, showFieldErrors, formatDate } from '../ui.js';

export async function render(root) {
  const list = h('ul', { class: 'server-list', 'aria-label': 'Servers' });
  const status = h('p', { class: 'muted', role: 'status' });
  const type = h('select', { name: 'server_type', 'aria-label': 'Type', onchange: () => showType() },
    h('option', { value: 'comfyui' }, 'ComfyUI'), h('option', { value: 'runpod' }, 'RunPod serverless'));
  const name = h('input', { name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const url = h('input', { name: 'url', required: true, type: 'url', placeholder: 'http://gpu-box.local:8188', autocomplete: 'off' });
  const endpoint = h('input', { name: 'endpoint_id', autocomplete: 'off' });
  const key = h('input', { name: 'api_key', type: 'password', autocomplete: 'new-password' });
  const concurrent = h('input', { name: 'max_concurrent', type: 'number', min: '1', value: '1', class: 'narrow' });
  const runpodFields = h('div', { class: 'inline-form', hidden: true },
    h('label', {}, 'Endpoint id', endpoint), h('label', {}, 'API key (stored, never shown again)', key));
  const form = h('form', { class: 'server-form', onsubmit: add },
    h('div', { class: 'inline-form' }, h('label', {}, 'Type', type), h('label', {}, 'Name', name), h('label', {}, 'URL', url), h('label', {}, 'At once', concurrent)),
    runpodFields,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add server')));
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Servers')), h('section', { class: 'panel', 'aria-label': 'Add a server' }, h('h2', {}, 'Add a server'), form), status, list);

  function showType() {
    runpodFields.hidden = type.value !== 'runpod';
    if (type.value === 'runpod' && !url.value) url.value = 'https://api.runpod.ai';
  }

  async function add(event) {
    event.preventDefault();
    const body = { name: name.value, url: url.value, server_type: type.value, max_concurrent: Number(concurrent.value) };
    if (type.value === 'runpod') { body.endpoint_id = endpoint.value; if (key.value) body.api_key = key.value; }
    try {
      const server = await api('POST', '/servers', { body });
      key.value = '';
      form.reset();
      showType();
      toast(`“${server.name}” added; checking it…`);
      await check(server);
    } catch (error) { if (!showFieldErrors(form, error)) showError(error, 'The server was not added'); }
  }

  async function load() {
    try {
      const servers = await listAll('/servers', { include: 'status' });
      status.textContent = servers.length ? '' : 'No servers yet: add your ComfyUI box or a RunPod endpoint above.';
      clear(list, servers.map((server) => row(server, server.status)));
    } catch (error) { showError(error, 'The servers could not be loaded'); }
  }

  function row(server, state) {
    const online = state && state.online;
    return h('li', { class: 'server-row', dataset: { id: server.id } },
      h('span', { class: `dot ${state && state.last_check ? (online ? 'online' : 'offline') : 'unknown'}`, 'aria-hidden': 'true' }),
      h('strong', {}, server.name),
      h('span', { class: 'muted' }, `${server.server_type === 'runpod' ? 'RunPod' : 'ComfyUI'} · ${server.url}`, server.has_api_key ? ' · API key set' : ''),
      h('span', { class: 'server-state' },
        !state || !state.last_check ? 'not checked yet'
          : online ? `online · ${state.latency_ms === null ? '–' : Math.round(state.latency_ms) + ' ms'} · queue ${orZero(state.queue_length)} · ${orZero(state.model_count)} models`
            : `offline${state.last_error ? ': ' + state.last_error : ''}`,
        state && state.last_check ? h('span', { class: 'muted' }, ` (checked ${formatDate(state.last_check)})`) : null),
      server.is_active ? null : h('span', { class: 'badge' }, 'paused'),
      h('span', { class: 'row-actions' },
        h('button', { type: 'button', onclick: () => check(server), 'aria-label': `Check ${server.name}` }, 'Check'),
        h('button', { type: 'button', onclick: () => setActive(server, !server.is_active) }, server.is_active ? 'Pause' : 'Resume'),
        h('button', { type: 'button', class: 'danger', onclick: () => remove(server), 'aria-label': `Delete ${server.name}` }, 'Delete')));
  }

  async function check(server) {
    try {
      const result = await api('POST', `/servers/${server.id}/check`);
      toast(result.online ? `“${server.name}” is online.` : `“${server.name}” is offline: ${result.last_error || 'no answer'}`, { kind: result.online ? 'info' : 'warning' });
    } catch (error) { showError(error, 'Check failed'); }
    await load();
  }

  async function setActive(server, active) {
    try { await api('PATCH', `/servers/${server.id}`, { body: { is_active: active }, ifMatch: server.version }); } catch (error) { showError(error); }
    await load();
  }

  async function remove(server) {
    try { await api('DELETE', `/servers/${server.id}`, { ifMatch: server.version }); } catch (error) { showError(error, 'Not deleted'); return; }
    await load();
    toast(`“${server.name}” moved to the Trash.`, { timeout: 15000, action: { label: 'Undo', run: async () => {
      try { await api('POST', `/servers/${server.id}/restore`); } catch (error) { showError(error, 'Not restored'); }
      await load();
    } } });
  }

  await load();
}

/** `value`, or 0 when it is null or undefined. */
function orZero(value) {
  return value === null || value === undefined ? 0 : value;
}
