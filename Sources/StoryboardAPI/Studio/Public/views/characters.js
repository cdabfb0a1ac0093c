// A project's characters: create, edit, delete (with Undo), reference images, samples.
import { api, listAll, upload, mediaSource } from '../api.js';
import { h, clear, toast, showError, showFieldErrors, confirmAction } from '../ui.js';

function fields(character = {}) {
  return {
    name: h('input', { name: 'name', required: true, maxlength: 200, value: character.name || '', autocomplete: 'off' }),
    description: h('textarea', { name: 'description', rows: '2', maxlength: 2000 }, character.description || ''),
    lora: h('input', { name: 'lora', value: character.lora || '', placeholder: 'mira_v2.safetensors', autocomplete: 'off' }),
    trigger_words: h('input', { name: 'trigger_words', value: (character.trigger_words || []).join(', '), placeholder: 'comma, separated', autocomplete: 'off' }),
    style_notes: h('textarea', { name: 'style_notes', rows: '2', maxlength: 2000 }, character.style_notes || ''),
  };
}

function values(inputs) {
  return {
    name: inputs.name.value,
    description: inputs.description.value || null,
    lora: inputs.lora.value || null,
    trigger_words: inputs.trigger_words.value.split(',').map((word) => word.trim()).filter(Boolean),
    style_notes: inputs.style_notes.value || null,
  };
}

function formOf(inputs, submit, onsubmit) {
  const form = h('form', { class: 'character-form', onsubmit: (event) => { event.preventDefault(); onsubmit(form); } },
    h('label', {}, 'Name', inputs.name), h('label', {}, 'Description', inputs.description),
    h('div', { class: 'inline-form' }, h('label', {}, 'LoRA', inputs.lora), h('label', {}, 'Trigger words', inputs.trigger_words)),
    h('label', {}, 'Style notes', inputs.style_notes),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submit)));
  return form;
}

export async function render(root, params) {
  const projectId = params.id;
  let project;
  try { project = await api('GET', `/projects/${projectId}`); } catch (error) {
    clear(root, h('h1', {}, 'Characters'), h('p', { class: 'error-text', role: 'alert' }, error.message));
    return;
  }
  const list = h('div', { class: 'character-list' });
  const status = h('p', { class: 'muted', role: 'status' });
  const inputs = fields();
  const createForm = formOf(inputs, 'Add character', async (form) => {
    try {
      await api('POST', `/projects/${projectId}/characters`, { body: values(inputs) });
      form.reset();
      await load();
    } catch (error) { if (!showFieldErrors(form, error)) showError(error, 'The character was not added'); }
  });
  clear(root,
    h('div', { class: 'page-head' }, h('h1', {}, `Characters of ${project.name}`), h('a', { href: `/projects/${projectId}` }, 'Back to the project')),
    h('section', { class: 'panel', 'aria-label': 'New character' }, h('h2', {}, 'New character'), createForm),
    status, list);

  async function load() {
    try {
      const characters = await listAll(`/projects/${projectId}/characters`);
      status.textContent = characters.length ? '' : 'No characters yet.';
      clear(list, await Promise.all(characters.map(card)));
    } catch (error) { showError(error, 'The characters could not be loaded'); }
  }

  async function card(character) {
    const [references, samples] = await Promise.all([
      listAll(`/characters/${character.id}/reference-images`), listAll(`/characters/${character.id}/samples`),
    ]);
    const editInputs = fields(character);
    const editForm = formOf(editInputs, 'Save', async (form) => {
      try {
        await api('PATCH', `/characters/${character.id}`, { body: values(editInputs), ifMatch: character.version });
        toast('Saved.');
        await load();
      } catch (error) {
        if (error.status === 412) { showError(error, 'This character was changed elsewhere; reloaded'); await load(); } else if (!showFieldErrors(form, error)) showError(error, 'Not saved');
      }
    });
    const file = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', 'aria-label': `Reference image for ${character.name}` });
    const progress = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': 'Upload progress' });
    file.addEventListener('change', async () => {
      if (!file.files[0]) return;
      progress.hidden = false;
      try {
        await upload('POST', `/characters/${character.id}/reference-images`, file.files[0], (fraction) => { progress.value = fraction; });
        await load();
      } catch (error) { showError(error, 'The image was not uploaded'); } finally { progress.hidden = true; }
    });
    const images = (items, label) => items.length
      ? h('div', { class: 'gallery', role: 'list', 'aria-label': label }, items.map((image) => {
        const img = h('img', { alt: `${label} of ${character.name}`, loading: 'lazy' });
        mediaSource(image.url).then((source) => { img.src = source; }).catch((error) => showError(error));
        return h('figure', { class: 'gallery-item', role: 'listitem' }, img,
          image.kind === 'sample' ? h('figcaption', {}, h('button', { type: 'button', onclick: () => makeReference(character, image) }, 'Use as reference')) : null);
      }))
      : h('p', { class: 'muted' }, `No ${label.toLowerCase()} yet.`);
    return h('article', { class: 'panel character', dataset: { id: character.id } },
      h('div', { class: 'panel-head' }, h('h2', {}, character.name),
        h('span', { class: 'row-actions' },
          h('button', { type: 'button', onclick: () => generateSamples(character) }, 'Generate samples'),
          h('button', { type: 'button', class: 'danger', onclick: () => remove(character), 'aria-label': `Delete ${character.name}` }, 'Delete'))),
      editForm,
      h('h3', {}, 'Reference images'), images(references.filter((image) => image.kind !== 'sample'), 'Reference images'),
      h('div', { class: 'actions' }, file, progress),
      h('h3', {}, 'Samples'), images(samples, 'Samples'));
  }

  async function generateSamples(character) {
    try {
      const answer = await api('POST', `/characters/${character.id}/samples`, { body: { count: 2 } });
      toast(`${(answer.jobs || []).length} sample job(s) queued; they appear here when done (see the Queue).`);
    } catch (error) { showError(error, 'No samples queued'); }
  }

  async function makeReference(character, image) {
    try { await api('POST', `/characters/${character.id}/samples/${image.id}/make-reference`); await load(); } catch (error) { showError(error); }
  }

  async function remove(character) {
    if (!(await confirmAction('Delete character?', `“${character.name}” goes to the Trash; clips keep their prompts.`))) return;
    try { await api('DELETE', `/characters/${character.id}`, { ifMatch: character.version }); } catch (error) { showError(error, 'Not deleted'); return; }
    await load();
    toast(`“${character.name}” moved to the Trash.`, { timeout: 15000, action: { label: 'Undo', run: async () => {
      try { await api('POST', `/characters/${character.id}/restore`); } catch (error) { showError(error, 'Not restored'); }
      await load();
    } } });
  }

  await load();
}
