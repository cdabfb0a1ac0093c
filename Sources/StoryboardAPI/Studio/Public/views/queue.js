// The generation queue: every job with status, server, attempts and error; cancel, retry.
import { api, listAll } from '../api.js';
import { h, clear, toast, showError, formatDate } from '../ui.js';

const statuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export async function render(root) {
  let servers = new Map();
  const filter = h('select', { name: 'status', 'aria-label': 'Show jobs', onchange: load },
    h('option', { value: '' }, 'All jobs'), statuses.map((status) => h('option', { value: status }, status)));
  const refresh = h('button', { type: 'button', onclick: load }, 'Refresh');
  const status = h('p', { class: 'muted', role: 'status' });
  const body = h('tbody');
  const table = h('table', { class: 'jobs' },
    h('thead', {}, h('tr', {}, ['Job', 'Status', 'Server', 'Attempts', 'Priority', 'Queued', 'Error', ''].map((name) => h('th', { scope: 'col' }, name)))),
    body);
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Queue'), h('div', { class: 'toolbar' }, filter, refresh)), status, h('div', { class: 'table-wrap' }, table));

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
      h('td', {}, String(job.priority)),
      h('td', {}, formatDate(job.created_at)),
      h('td', { class: 'error-text' }, job.error || ''),
      h('td', {},
        finished ? null : h('button', { type: 'button', onclick: () => act(job, 'cancel'), 'aria-label': `Cancel job ${job.id.slice(0, 8)}` }, 'Cancel'),
        job.status === 'failed' || job.status === 'cancelled' ? h('button', { type: 'button', onclick: () => act(job, 'retry'), 'aria-label': `Retry job ${job.id.slice(0, 8)}` }, 'Retry') : null));
  }

  async function act(job, action) {
    try {
      await api('POST', `/jobs/${job.id}/${action}`);
      toast(action === 'cancel' ? 'Job cancelled.' : 'Job queued again.');
    } catch (error) { showError(error); }
    await load();
  }

  await load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, 5000);
  return () => clearInterval(timer);
}
