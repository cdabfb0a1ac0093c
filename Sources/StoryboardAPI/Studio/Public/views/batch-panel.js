// Generation on the project page: "Generate all images", whether live updates arrive, and one
// bar per batch that is running or just finished. It follows the project's job events and
// keeps the page's clip → job status map current; the page redraws through the callbacks.
import { api, listAll, followEvents } from '../api.js';
import { h, clear, toast, showError } from '../ui.js';
import { activeBatchStatuses, jobEventStatus } from './job-status.js';

export class BatchPanel {
  /**
   * `jobStatus`: the page's map of clip id → {status, error, progress, preview}, written here.
   * `onStatuses()`: the running work's statuses were read. `onJobEvent(type, clipId)`: a job
   * event for a clip, as it comes. `onSettled(clipId)`: a burst of events is over (`clipId`:
   * the last event's clip).
   */
  constructor({ projectId, jobStatus, onStatuses, onJobEvent, onSettled }) {
    this.projectId = projectId;
    this.jobStatus = jobStatus;
    this.onStatuses = onStatuses;
    this.onJobEvent = onJobEvent;
    this.onSettled = onSettled;
    this.batches = new Map();
    this.dirty = new Set(); // batches an event was about since the last redraw
    this.stopEvents = null;
    this.batchArea = h('div', { class: 'batches', 'aria-live': 'polite' });
    this.eventState = h('span', { class: 'muted event-state' });
    this.element = h('section', { class: 'generation', 'aria-label': 'Generation' },
      h('button', { type: 'button', class: 'primary', onclick: () => this.generateAll() }, 'Generate all images'),
      this.eventState, this.batchArea);
  }

  destroy() {
    if (this.stopEvents) this.stopEvents();
    clearTimeout(this.refreshTimer);
  }

  /** Reads the running batches and jobs, then follows the project's job events. */
  async attach() {
    // Running batches are read from the server, so a reload or a second tab sees them too.
    try {
      for (const status of activeBatchStatuses) {
        for (const batch of await listAll(`/projects/${this.projectId}/batches`, { status })) await this.loadBatch(batch.id);
      }
      for (const status of ['queued', 'running']) {
        for (const job of await listAll('/jobs', { project_id: this.projectId, status })) {
          if (job.clip_id) this.jobStatus.set(job.clip_id, { status: job.status });
        }
      }
      this.onStatuses();
    } catch (error) { showError(error, 'Generation state could not be loaded'); }
    this.stopEvents = followEvents(`/events?project_id=${encodeURIComponent(this.projectId)}`, (type, data) => this.jobEvent(type, data), {
      onState: (state, error) => {
        this.eventState.textContent = state === 'open' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : `Live updates stopped: ${error ? error.message : ''}`;
        this.eventState.dataset.state = state;
      },
    });
  }

  jobEvent(type, data) {
    if (!data.clip_id) return;
    this.jobStatus.set(data.clip_id, jobEventStatus(type, data, this.jobStatus.get(data.clip_id) || {}));
    if (data.batch_id) this.dirty.add(data.batch_id);
    this.onJobEvent(type, data.clip_id);
    // Many events come at once during a batch: redraw once per burst.
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      const dirty = this.dirty;
      this.dirty = new Set();
      for (const id of dirty) await this.loadBatch(id);
      await this.onSettled(data.clip_id);
    }, 300);
  }

  async generateAll() {
    try {
      const batch = await api('POST', `/projects/${this.projectId}/batches`, { body: { generation_type: 'image' } });
      await this.loadBatch(batch.id);
      toast(`Generating ${batch.total} image${batch.total === 1 ? '' : 's'}.`);
    } catch (error) { showError(error, 'Generation did not start'); }
  }

  async loadBatch(id) {
    try {
      const batch = await api('GET', `/batches/${id}`);
      this.batches.set(id, batch);
      for (const result of batch.results || []) {
        if (result.clip_id && !this.jobStatus.has(result.clip_id)) this.jobStatus.set(result.clip_id, { status: result.status, error: result.error });
      }
      this.draw();
    } catch (error) { showError(error, 'The batch could not be read'); }
  }

  draw() {
    clear(this.batchArea, [...this.batches.values()].map((batch) => {
      const running = activeBatchStatuses.includes(batch.status);
      const done = batch.completed + batch.failed + batch.cancelled;
      return h('div', { class: `batch batch-${batch.status}`, dataset: { id: batch.id, status: batch.status } },
        h('progress', { max: String(Math.max(1, batch.total)), value: String(done), 'aria-label': 'Batch progress' }),
        h('span', { class: 'batch-text' },
          `${batch.completed}/${batch.total} done`, batch.failed ? `, ${batch.failed} failed` : '', batch.cancelled ? `, ${batch.cancelled} cancelled` : '',
          running && typeof batch.eta_seconds === 'number' ? ` · about ${Math.ceil(batch.eta_seconds)} s left` : '',
          running ? '' : ` · ${batch.status.replace(/_/g, ' ')}`),
        running ? h('button', { type: 'button', onclick: () => this.batchAction(batch, 'cancel') }, 'Cancel') : null,
        batch.failed ? h('button', { type: 'button', onclick: () => this.batchAction(batch, 'retry-failed') }, 'Retry failed') : null,
        running ? null : h('button', { type: 'button', class: 'icon', 'aria-label': 'Dismiss', onclick: () => { this.batches.delete(batch.id); this.draw(); } }, '×'));
    }));
  }

  async batchAction(batch, action) {
    try { await api('POST', `/batches/${batch.id}/${action}`); } catch (error) { showError(error); }
    await this.loadBatch(batch.id);
  }
}
