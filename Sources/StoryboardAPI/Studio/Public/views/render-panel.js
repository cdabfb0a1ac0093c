// The animatic render of a project: a button that queues one (POST /renders), its progress
// from the project's event stream, and the MP4 to download when it is done. Shows the latest
// render when the view opens, so a render started earlier (or elsewhere) is picked up.
import { api, followEvents, mediaSource } from '../api.js';
import { h, showError } from '../ui.js';

const SIZES = [['1280x720', '1280×720'], ['640x360', '640×360'], ['1920x1080', '1920×1080']];
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

export function renderPanel(projectId) {
  const size = h('select', { 'aria-label': 'Animatic size' }, SIZES.map(([value, label]) => h('option', { value }, label)));
  const start = h('button', { type: 'button', class: 'render-start', onclick: () => begin() }, 'Render MP4');
  const cancel = h('button', { type: 'button', class: 'render-cancel', hidden: true, onclick: () => stop() }, 'Cancel render');
  const bar = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': 'Render progress' });
  const status = h('span', { class: 'render-status', role: 'status' });
  const download = h('a', { class: 'render-download', hidden: true, download: 'animatic.mp4' }, 'Download MP4');
  const element = h('div', { class: 'render-panel' }, size, start, cancel, bar, status, download);
  let current = null;
  let blobURL = null;

  function draw(render) {
    current = render;
    element.dataset.status = render ? render.status : '';
    const active = render && !FINISHED.has(render.status);
    start.disabled = Boolean(active);
    cancel.hidden = !active;
    bar.hidden = !active;
    bar.value = render ? render.progress : 0;
    if (!render) status.textContent = '';
    else if (render.status === 'queued') status.textContent = 'Render queued…';
    else if (render.status === 'running') status.textContent = `Rendering ${Math.round(render.progress * 100)} %`;
    else if (render.status === 'succeeded') status.textContent = `Animatic ready (${render.width}×${render.height}, ${render.duration.toFixed(1)} s)`;
    else if (render.status === 'failed') status.textContent = `Render failed: ${render.error || 'unknown error'}`;
    else status.textContent = 'Render cancelled';
    download.hidden = true;
    if (render && render.status === 'succeeded' && render.download_url) {
      // With an API token a link cannot send the header: the bytes come as a blob: URL.
      mediaSource(render.download_url).then((url) => {
        if (current !== render) return;
        if (blobURL) URL.revokeObjectURL(blobURL);
        blobURL = url.startsWith('blob:') ? url : null;
        download.href = url;
        download.hidden = false;
      }).catch((error) => showError(error, 'The animatic could not be fetched'));
    }
  }

  async function begin() {
    const [width, height] = size.value.split('x').map(Number);
    try {
      draw(await api('POST', `/projects/${projectId}/renders`, { body: { width, height } }));
    } catch (error) { showError(error, 'The render did not start'); }
  }

  async function stop() {
    if (!current) return;
    try { draw(await api('POST', `/renders/${current.id}/cancel`)); } catch (error) { showError(error, 'The render could not be cancelled'); }
  }

  async function reload() {
    if (!current) return;
    try { draw(await api('GET', `/renders/${current.id}`)); } catch (error) { showError(error); }
  }

  api('GET', `/projects/${projectId}/renders`, { query: { limit: 1 } })
    .then((page) => { if (!current && page.items.length) draw(page.items[0]); })
    .catch((error) => showError(error, 'Renders could not be loaded'));

  const stopEvents = followEvents(`/events?project_id=${encodeURIComponent(projectId)}`, (type, data) => {
    if (!type.startsWith('render_') || !current || data.render_id !== current.id) return;
    if (type === 'render_progress' || type === 'render_started') draw({ ...current, status: 'running', progress: data.progress });
    else reload();
  });

  return {
    element,
    stop() {
      stopEvents();
      if (blobURL) URL.revokeObjectURL(blobURL);
    },
  };
}
