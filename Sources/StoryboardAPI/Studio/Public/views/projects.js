// Projects: search, sort, create, rename, delete with Undo.
import { api, listAll } from '../api.js';
import { h, clear, toast, showError, showFieldErrors, ask, formatDate, navigate } from '../ui.js';

export async function render(root) {
  let items = [];
  let query = '';
  let sort = 'updated';
  let searchTimer = null;

  const list = h('ul', { class: 'project-list', 'aria-label': 'Projects' });
  const status = h('p', { class: 'muted', role: 'status' });
  const search = h('input', {
    type: 'search', name: 'q', placeholder: 'Search by name', 'aria-label': 'Search projects',
    oninput: () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => { query = search.value.trim(); load(); }, 250); },
  });
  const sorter = h('select', { name: 'sort', 'aria-label': 'Sort projects', onchange: () => { sort = sorter.value; draw(); } },
    h('option', { value: 'updated' }, 'Recently updated'),
    h('option', { value: 'name' }, 'Name'),
    h('option', { value: 'created' }, 'Recently created'));

  const nameInput = h('input', { name: 'name', required: true, maxlength: 200, placeholder: 'New project name', 'aria-label': 'New project name', autocomplete: 'off' });
  const form = h('form', { class: 'inline-form', onsubmit: create }, nameInput, h('button', { type: 'submit', class: 'primary' }, 'Create project'));

  clear(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Projects'), form),
    h('div', { class: 'toolbar' }, search, sorter),
    status, list);

  async function load() {
    try {
      items = await listAll('/projects', { q: query });
      draw();
    } catch (error) {
      showError(error, 'Projects could not be loaded');
    }
  }

  function sorted() {
    const copy = [...items];
    if (sort === 'name') copy.sort((a, b) => a.name.localeCompare(b.name));
    else if (sort === 'created') copy.sort((a, b) => b.created_at.localeCompare(a.created_at));
    else copy.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    return copy;
  }

  function draw() {
    status.textContent = items.length ? `${items.length} project${items.length === 1 ? '' : 's'}` : (query ? 'No project matches.' : 'No projects yet: create one above.');
    clear(list, sorted().map((project) => h('li', { class: 'project-row', dataset: { id: project.id } },
      h('a', { href: `/projects/${project.id}`, class: 'project-name' }, project.name),
      h('span', { class: 'muted' }, project.music_duration ? `song ${Math.round(project.music_duration)} s · ` : '', `updated ${formatDate(project.updated_at)}`),
      h('span', { class: 'row-actions' },
        h('button', { type: 'button', onclick: () => rename(project), 'aria-label': `Rename ${project.name}` }, 'Rename'),
        h('button', { type: 'button', class: 'danger', onclick: () => remove(project), 'aria-label': `Delete ${project.name}` }, 'Delete')))));
  }

  async function create(event) {
    event.preventDefault();
    try {
      const project = await api('POST', '/projects', { body: { name: nameInput.value } });
      navigate(`/projects/${project.id}`);
    } catch (error) {
      if (!showFieldErrors(form, error)) showError(error, 'The project was not created');
    }
  }

  async function rename(project) {
    const name = await ask('Rename project', { value: project.name });
    if (name === null) return;
    try {
      await api('PATCH', `/projects/${project.id}`, { body: { name }, ifMatch: project.version });
      await load();
    } catch (error) {
      showError(error, 'Not renamed');
      if (error.status === 412) await load();
    }
  }

  async function remove(project) {
    try {
      await api('DELETE', `/projects/${project.id}`, { ifMatch: project.version });
      items = items.filter((item) => item.id !== project.id);
      draw();
      toast(`“${project.name}” moved to the Trash.`, {
        action: {
          label: 'Undo',
          run: async () => {
            try {
              await api('POST', `/projects/${project.id}/restore`);
              toast(`“${project.name}” restored.`);
              await load();
            } catch (error) { showError(error, 'Not restored'); }
          },
        },
        timeout: 15000,
      });
    } catch (error) {
      showError(error, 'Not deleted');
      if (error.status === 412) await load();
    }
  }

  await load();
  nameInput.focus();
  return () => clearTimeout(searchTimer);
}
