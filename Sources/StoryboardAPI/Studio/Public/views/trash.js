// Trash: one row per delete (what was deleted with it counted), restore and purge.
import { api, listAll } from '../api.js';
import { h, clear, toast, showError, confirmAction, formatDate } from '../ui.js';

const typeNames = {
  project: 'Project', scene: 'Scene', clip: 'Clip', character: 'Character', style_template: 'Style template',
  server: 'Server', gallery_item: 'Gallery item', character_image: 'Reference image',
};

export async function render(root) {
  const list = h('ul', { class: 'trash-list', 'aria-label': 'Deleted items' });
  const status = h('p', { class: 'muted', role: 'status' });
  const filter = h('select', { name: 'type', 'aria-label': 'Show only', onchange: load },
    h('option', { value: '' }, 'Everything'),
    Object.entries(typeNames).map(([value, label]) => h('option', { value }, label + 's')));
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Trash'), filter), status, list);

  async function load() {
    try {
      const items = await listAll('/trash', { type: filter.value });
      status.textContent = items.length ? `${items.length} delete${items.length === 1 ? '' : 's'}, newest first` : 'The Trash is empty.';
      clear(list, items.map(row));
    } catch (error) {
      showError(error, 'The Trash could not be loaded');
    }
  }

  function row(item) {
    const others = item.item_count - 1;
    return h('li', { class: 'trash-row', dataset: { id: item.id, type: item.type } },
      h('span', { class: 'badge' }, typeNames[item.type] || item.type),
      h('strong', { class: 'trash-name' }, item.name || item.id),
      h('span', { class: 'muted' }, `deleted ${formatDate(item.deleted_at)}`, others > 0 ? ` · with ${others} item${others === 1 ? '' : 's'} under it` : ''),
      h('span', { class: 'row-actions' },
        h('button', { type: 'button', onclick: () => restore(item), 'aria-label': `Restore ${item.name}` }, 'Restore'),
        h('button', { type: 'button', class: 'danger', onclick: () => purge(item), 'aria-label': `Delete ${item.name} for good` }, 'Delete for good')));
  }

  async function restore(item) {
    try {
      await api('POST', `/trash/${item.type}/${item.id}/restore`);
      toast(`“${item.name}” restored.`);
      await load();
    } catch (error) { showError(error, 'Not restored'); }
  }

  async function purge(item) {
    if (!(await confirmAction('Delete for good?', `“${item.name}” and everything deleted with it will be removed, media files included. This cannot be undone.`))) return;
    try {
      await api('DELETE', `/trash/${item.type}/${item.id}`);
      toast(`“${item.name}” deleted for good.`);
      await load();
    } catch (error) { showError(error, 'Not purged'); }
  }

  await load();
}
