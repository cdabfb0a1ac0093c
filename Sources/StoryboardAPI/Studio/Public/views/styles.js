// Style templates: global ones and each project's, most used first; create, edit, delete.
import { api, listAll } from '../api.js';
import { h, clear, toast, showError, showFieldErrors } from '../ui.js';

export async function render(root) {
  const list = h('div', { class: 'template-list' });
  const status = h('p', { class: 'muted', role: 'status' });
  const inputs = templateInputs();
  const createForm = templateForm(inputs, 'Add template', async (form) => {
    try {
      await api('POST', '/style-templates', { body: { ...templateValues(inputs), is_global: true } });
      form.reset();
      await load();
    } catch (error) { if (!showFieldErrors(form, error)) showError(error, 'The template was not added'); }
  });
  clear(root, h('div', { class: 'page-head' }, h('h1', {}, 'Style templates')),
    h('section', { class: 'panel', 'aria-label': 'New style template' }, h('h2', {}, 'New global template'),
      h('p', { class: 'muted' }, 'Placeholders: {prompt} (the clip\'s prompt), {lyrics}, {character}.'), createForm),
    status, list);

  async function load() {
    try {
      const templates = await listAll('/style-templates', { include_global: 'true' });
      status.textContent = templates.length ? '' : 'No style templates yet.';
      clear(list, templates.map(card));
    } catch (error) { showError(error, 'The templates could not be loaded'); }
  }

  function card(template) {
    const edit = templateInputs(template);
    const form = templateForm(edit, 'Save', async () => {
      try {
        await api('PATCH', `/style-templates/${template.id}`, { body: templateValues(edit), ifMatch: template.version });
        toast('Saved.');
        await load();
      } catch (error) {
        if (error.status === 412) { showError(error, 'This template was changed elsewhere; reloaded'); await load(); } else if (!showFieldErrors(form, error)) showError(error, 'Not saved');
      }
    });
    return h('article', { class: 'panel', dataset: { id: template.id } },
      h('div', { class: 'panel-head' }, h('h2', {}, template.name),
        h('span', { class: 'muted' }, `${template.is_global ? 'global' : 'project'} · used ${template.use_count}×`),
        h('button', { type: 'button', class: 'danger', onclick: () => remove(template), 'aria-label': `Delete ${template.name}` }, 'Delete')),
      form);
  }

  async function remove(template) {
    try { await api('DELETE', `/style-templates/${template.id}`, { ifMatch: template.version }); } catch (error) { showError(error, 'Not deleted'); return; }
    await load();
    toast(`“${template.name}” moved to the Trash.`, { timeout: 15000, action: { label: 'Undo', run: async () => {
      try { await api('POST', `/style-templates/${template.id}/restore`); } catch (error) { showError(error, 'Not restored'); }
      await load();
    } } });
  }

  await load();
}

function templateInputs(template = {}) {
  return {
    name: h('input', { name: 'name', required: true, maxlength: 200, value: template.name || '', autocomplete: 'off' }),
    prompt_template: h('textarea', { name: 'prompt_template', rows: '2', required: true, maxlength: 5000 }, template.prompt_template || '{prompt}'),
    negative_prompt_template: h('textarea', { name: 'negative_prompt_template', rows: '2', maxlength: 5000 }, template.negative_prompt_template || ''),
  };
}

function templateValues(inputs) {
  return { name: inputs.name.value, prompt_template: inputs.prompt_template.value, negative_prompt_template: inputs.negative_prompt_template.value || null };
}

function templateForm(inputs, submit, onsubmit) {
  const form = h('form', { class: 'character-form', onsubmit: (event) => { event.preventDefault(); onsubmit(form); } },
    h('label', {}, 'Name', inputs.name), h('label', {}, 'Prompt template', inputs.prompt_template),
    h('label', {}, 'Negative prompt template', inputs.negative_prompt_template),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submit)));
  return form;
}
