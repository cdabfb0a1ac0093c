// A clip's generation status as the project page keeps it: what a job event makes of it,
// and the word shown for it.

/** Batch statuses whose batch is still at work. */
export const activeBatchStatuses = ['queued', 'running'];

/** The clip's status after a job event of `type`; `previous` is the clip's status before it. */
export function jobEventStatus(type, data, previous) {
  const status = type === 'retrying' ? 'queued' : type === 'started' || type === 'progress' || type === 'preview' ? 'running' : type;
  // A running job keeps its latest step and preview until it ends.
  const running = status === 'running' && previous.status === 'running';
  return {
    status, error: data.error || null,
    progress: type === 'progress' ? { value: data.value, max: data.max } : running ? previous.progress : null,
    preview: type === 'preview' ? { url: data.url, sequence: data.sequence } : running ? previous.preview : null,
  };
}

export function statusLabel(status) {
  return { queued: 'queued', running: 'running', succeeded: 'done', failed: 'failed', cancelled: 'cancelled' }[status] || status;
}
