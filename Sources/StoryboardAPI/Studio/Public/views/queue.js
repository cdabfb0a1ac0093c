// The generation queue: every job with status, server, attempts and error; cancel, retry,
// change a queued job's priority, clear the finished ones.
import { api, listAll } from '../api.js';
import { h, clear, toast, showError, formatDate, confirmAction } from '../ui.js';

const statuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export async function render(root) {
  let servers = new Map();
  const filter = h('select', { name: 'status', 'aria-label': 'Show jobs', onchange: load },
    h('option', { value: '' }, 'All jobs'), statuses.map((status) => h('option', { value: status }, status)));
  const refresh = h('button', { type: 'button', onclick: load }, 'Refresh');
  const clearFinished = h('button', { type: 'button', class: 'clear-finished', onclick: clearDone }, 'Clear finished');
  const status = h('p', { class: 'muted', role: 'status' });
  const body = h('tbody');
  const table = h('table', { class: 'jobs' },
    h('thead', {}, h('tr', {}, ['Job', 'Status', 'Server', 'Attempts', 'Priority', 'Queued', 'Error', ''].map((name) => h('th', { scope: 'col' }, name)))),
    body);
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Queue'), h('div', { class: 'toolbar' }, filter, clearFinished, refresh)), status, h('div', { class: 'table-wrap' }, table));

  async function load() {
    try {
      const [jobs, serverList] = await Promise.all([listAll('/jobs', { status: filter.value }), listAll('/servers')]);
      servers = new Map(serverList.map((server) => [server.id, server.name]));
      status.textContent = jobs.length ? `${jobs.length} job${jobs.length === 1 ? '' : 's'}` : 'No jobs.';
      clear(body, jobs.map(row));
    } catch (error) { showError(error, 'The queue could not be loaded'); }
  }

  function row(job) {
    const finished = ['succeeded', 'failed', 'cancelled'].includes(job.status);
    const what = job.clip_id ? `${job.generation_type} for a clip` : job.character_id ? 'character sample' : job.generation_type;
    return h('tr', { dataset: { id: job.id, status: job.status } },
      h('td', {}, what, h('br'), h('span', { class: 'muted mono' }, job.id.slice(0, 8))),
      h('td', {}, h('span', { class: `job-badge job-${job.status}` }, job.status),
        job.status === 'running' && job.progress ? ` ${job.progress.value}/${job.progress.max}` : ''),
      h('td', {}, (job.server_id && servers.get(job.server_id)) || '–'),
      h('td', {}, `${job.attempts} / ${job.max_retries + 1}`),
      h('td', {}, job.status === 'queued' ? priorityInput(job) : String(job.priority)),
      h('td', {}, formatDate(job.created_at)),
      h('td', { class: 'error-text' }, job.error || ''),
      h('td', {},
        finished ? null : h('button', { type: 'button', onclick: () => act(job, 'cancel'), 'aria-label': `Cancel job ${job.id.slice(0, 8)}` }, 'Cancel'),
        job.status === 'failed' || job.status === 'cancelled' ? h('button', { type: 'button', onclick: () => act(job, 'retry'), 'aria-label': `Retry job ${job.id.slice(0, 8)}` }, 'Retry') : null));
  }

  // Higher runs first; committed on change (Enter, the arrows' last step, or leaving the field).
  function priorityInput(job) {
    const input = h('input', {
      type: 'number', name: 'priority', class: 'priority', min: '-100', max: '100', step: '1', value: String(job.priority),
      'aria-label': `Priority of job ${job.id.slice(0, 8)}`,
    });
    input.addEventListener('change', async () => {
      try {
        const changed = await api('PATCH', `/jobs/${job.id}`, { body: { priority: Number(input.value) }, ifMatch: job.version });
        Object.assign(job, changed);
        toast(`Priority ${changed.priority}.`);
      } catch (error) {
        const reason = error.fields && error.fields.priority;
        showError(reason ? { message: `${error.message}: ${reason}` } : error, 'The priority could not change');
        input.value = String(job.priority);
      }
      await load();
    });
    return input;
  }

  async function clearDone() {
    const ok = await confirmAction('Clear finished jobs?',
      'Succeeded, failed and cancelled jobs leave the queue. Their images and videos stay in the galleries, and batches keep their counts.', 'Clear');
    if (!ok) return;
    try {
      const { cleared } = await api('POST', '/jobs/clear-finished', { body: {} });
      toast(cleared ? `Cleared ${cleared} finished job${cleared === 1 ? '' : 's'}.` : 'No finished jobs to clear.');
    } catch (error) { showError(error, 'The queue could not be cleared'); }
    await load();
  }

  async function act(job, action) {
    try {
      await api('POST', `/jobs/${job.id}/${action}`);
      toast(action === 'cancel' ? 'Job cancelled.' : 'Job queued again.');
    } catch (error) { showError(error); }
    await load();
  }

  await load();
  // Not while a priority is being typed: redrawing would throw the edit away.
  const timer = setInterval(() => { if (!document.hidden && !(body.contains(document.activeElement) && document.activeElement.tagName === 'INPUT')) load(); }, 5000);
  return () => clearInterval(timer);
}
