// The selected clip: timing, prompts (saved with If-Match), character and style template,
// gallery, versions, alternates, generation.
import { api, listAll, mediaSource } from '../api.js';
import { h, clear, toast, showError, showFieldErrors, ask, formatDate } from '../ui.js';

export class ClipPanel {
  constructor(page) {
    this.page = page;
    this.clipId = null;
    this.clip = null;
    this.element = h('aside', { class: 'clip-panel', 'aria-label': 'Clip' }, h('p', { class: 'muted' }, 'Select a clip on the timeline or in the list.'));
    this.characters = null;
    this.templates = null;
  }

  /** Shows clip `id` (null: nothing selected). */
  async show(id) {
    this.clipId = id;
    if (!id) {
      clear(this.element, h('p', { class: 'muted' }, 'Select a clip on the timeline or in the list.'));
      return;
    }
    await this.load();
  }

  /** The page reloaded its tree: pick up the clip's new version unless the user is typing. */
  refresh() {
    if (!this.clipId) return;
    const entry = this.page.clips.get(this.clipId);
    if (!entry) { this.show(null); return; }
    if (this.clip && entry.clip.version !== this.clip.version && !this.dirty()) this.load();
    this.drawStatus();
  }

  galleryChanged() { if (this.clipId) this.loadGallery(); }

  dirty() {
    return Boolean(this.form && (this.imagePrompt.value !== (this.clip.image_prompt || '') || this.videoPrompt.value !== (this.clip.video_prompt || '')));
  }

  async load() {
    const id = this.clipId;
    try {
      const [clip, versions] = await Promise.all([api('GET', `/clips/${id}`), listAll(`/clips/${id}/versions`)]);
      if (id !== this.clipId) return;
      this.clip = clip;
      this.versions = versions;
      if (!this.characters) {
        [this.characters, this.templates] = await Promise.all([
          listAll(`/projects/${this.page.id}/characters`),
          listAll('/style-templates', { project_id: this.page.id, include_global: 'true' }),
        ]);
      }
      this.draw();
      await this.loadGallery();
    } catch (error) {
      clear(this.element, h('p', { class: 'error-text', role: 'alert' }, error.message));
    }
  }

  draw() {
    const clip = this.clip;
    const entry = this.page.clips.get(clip.id);
    this.imagePrompt = h('textarea', { name: 'image_prompt', rows: '4', maxlength: 5000 }, clip.image_prompt || '');
    this.videoPrompt = h('textarea', { name: 'video_prompt', rows: '3', maxlength: 5000 }, clip.video_prompt || '');
    this.promptNote = h('p', { class: 'note', role: 'status' });
    this.form = h('form', { class: 'prompts', onsubmit: (event) => { event.preventDefault(); this.savePrompts(); } },
      h('label', {}, 'Image prompt', this.imagePrompt),
      h('label', {}, 'Video prompt', this.videoPrompt),
      this.promptNote,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save prompts')));

    const position = h('input', { name: 'timeline_position', type: 'number', min: '0', step: '0.01', value: String(Math.round(clip.timeline_position * 100) / 100), class: 'narrow' });
    const length = h('input', { name: 'length', type: 'number', min: '0.1', step: '0.01', value: String(clip.length), class: 'narrow' });
    const timing = h('form', { class: 'inline-form timing', onsubmit: (event) => {
      event.preventDefault();
      this.page.serial(() => this.page.setTiming(this.page.clipOf(clip.id), Number(position.value), Number(length.value)));
    } }, h('label', {}, 'Start (s)', position), h('label', {}, 'Length (s)', length), h('button', { type: 'submit' }, 'Apply'));

    const characterSelect = h('select', { name: 'character', 'aria-label': 'Character' },
      h('option', { value: '' }, this.characters.length ? 'Choose a character' : 'No characters in this project'),
      this.characters.map((character) => h('option', { value: character.id, selected: character.id === clip.character_id }, character.name)));
    const templateSelect = h('select', { name: 'template', 'aria-label': 'Style template' },
      h('option', { value: '' }, this.templates.length ? 'Choose a style template' : 'No style templates'),
      this.templates.map((template) => h('option', { value: template.id, selected: template.id === clip.style_template_id }, template.name)));
    const applying = h('div', { class: 'inline-form' },
      characterSelect, h('button', { type: 'button', disabled: !this.characters.length, onclick: () => this.apply('characters', characterSelect.value) }, 'Apply character'),
      templateSelect, h('button', { type: 'button', disabled: !this.templates.length, onclick: () => this.apply('style-templates', templateSelect.value) }, 'Apply template'));

    this.statusLine = h('p', { class: 'job-line', role: 'status' });
    this.previewImage = h('img', { class: 'job-preview', alt: 'Live preview of the image being generated', hidden: true });
    // A frame gone by the time it is fetched (the job ended: 204) shows nothing rather than a broken image.
    this.previewImage.addEventListener('error', () => { this.previewImage.hidden = true; });
    this.gallery = h('div', { class: 'gallery', role: 'list', 'aria-label': 'Gallery' }, h('p', { class: 'muted' }, 'Loading the gallery…'));
    const versions = h('ol', { class: 'versions', 'aria-label': 'Versions' }, this.versions.map((version) => h('li', {},
      h('span', {}, `Version ${version.number}`, version.number === clip.active_version ? ' (active)' : ''),
      h('span', { class: 'muted' }, ` ${formatDate(version.created_at)}`),
      version.number === clip.active_version ? null : h('button', { type: 'button', onclick: () => this.activate(version.number), 'aria-label': `Activate version ${version.number}` }, 'Activate'))));
    const alternates = ((entry && entry.clip.alternates) || []).map((alternate) => h('li', {}, alternate.name,
      h('button', { type: 'button', onclick: () => this.promote(alternate), 'aria-label': `Promote ${alternate.name}` }, 'Promote')));

    clear(this.element,
      h('div', { class: 'panel-head' },
        h('h2', {}, clip.name),
        h('span', { class: 'row-actions' },
          h('button', { type: 'button', onclick: () => this.rename() }, 'Rename'),
          h('button', { type: 'button', class: 'danger', onclick: () => this.page.deleteClip(clip.id) }, 'Delete'),
          h('button', { type: 'button', class: 'icon', 'aria-label': 'Close the clip', onclick: () => this.page.showClip(null) }, '×'))),
      entry ? this.placement(entry) : null,
      timing, this.form, applying,
      h('h3', {}, 'Gallery'),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => this.generate('image') }, 'Generate image'),
        h('button', { type: 'button', disabled: !clip.selected_image_id, title: 'From the selected image', onclick: () => this.generate('video') }, 'Generate video')),
      this.statusLine, this.previewImage, this.gallery,
      h('h3', {}, 'Versions'), versions,
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => this.snapshot() }, 'Save as new version')),
      h('h3', {}, 'Alternates'),
      alternates.length ? h('ul', { class: 'alternates' }, alternates) : h('p', { class: 'muted' }, 'No alternates.'),
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => this.alternate() }, 'Make an alternate')));
    this.drawStatus();
  }

  /** The clip's scene and place in it, changed without dragging: another scene, earlier, later. */
  placement(entry) {
    const clips = entry.scene.clips || [];
    const index = clips.findIndex((each) => each.id === this.clip.id);
    const sceneSelect = h('select', { name: 'scene', 'aria-label': 'Scene' },
      this.page.scenes.map((scene) => h('option', { value: scene.id, selected: scene.id === entry.scene.id }, scene.name)));
    const act = async (work) => { await work(); await this.load(); };
    return h('div', { class: 'inline-form placement' },
      h('label', {}, 'Scene', sceneSelect),
      h('button', { type: 'button', onclick: () => { if (sceneSelect.value !== entry.scene.id) act(() => this.page.moveClip(this.clip.id, sceneSelect.value)); } }, 'Move'),
      h('button', { type: 'button', disabled: index <= 0, 'aria-label': 'Earlier in the scene', onclick: () => act(() => this.page.shiftClip(this.clip.id, -1)) }, '↑'),
      h('button', { type: 'button', disabled: index < 0 || index >= clips.length - 1, 'aria-label': 'Later in the scene', onclick: () => act(() => this.page.shiftClip(this.clip.id, 1)) }, '↓'));
  }

  drawStatus() {
    if (!this.statusLine) return;
    const job = this.page.jobStatus.get(this.clipId);
    const step = job && job.status === 'running' && job.progress && job.progress.max ? ` — step ${job.progress.value} of ${job.progress.max}` : '';
    this.statusLine.textContent = job ? `Generation: ${job.status}${step}${job.error ? ` — ${job.error}` : ''}` : '';
    this.statusLine.dataset.status = job ? job.status : '';
    this.drawPreview(job && job.status === 'running' ? job.preview : null);
  }

  /** The running job's latest preview frame, fetched at most once per frame announced. */
  async drawPreview(preview) {
    if (!this.previewImage) return;
    if (!preview) {
      this.previewImage.hidden = true;
      this.previewSequence = null;
      return;
    }
    if (this.previewSequence === preview.sequence) return;
    this.previewSequence = preview.sequence;
    try {
      const source = await mediaSource(`${preview.url}?seq=${encodeURIComponent(preview.sequence)}`);
      if (this.previewSequence !== preview.sequence) return;
      if (this.previewImage.src.startsWith('blob:')) URL.revokeObjectURL(this.previewImage.src);
      this.previewImage.src = source;
      this.previewImage.hidden = false;
    } catch {
      // The job finished between the event and the fetch (204/404): nothing to show.
      this.previewImage.hidden = true;
    }
  }

  async savePrompts() {
    const body = { image_prompt: this.imagePrompt.value, video_prompt: this.videoPrompt.value };
    try {
      this.clip = await api('PUT', `/clips/${this.clip.id}/prompts`, { body, ifMatch: this.clip.version });
      this.promptNote.textContent = 'Saved.';
      this.promptNote.className = 'note';
      await this.page.refresh();
    } catch (error) {
      if (error.status === 412) {
        // Someone else saved first: take their version (so the next save is accepted) but keep
        // what was typed here, and show what they wrote.
        try {
          const fresh = await api('GET', `/clips/${this.clip.id}`);
          this.clip = fresh;
          this.promptNote.className = 'note warning';
          this.promptNote.textContent = `This clip was changed elsewhere; it has been reloaded and your text kept. Their image prompt: “${fresh.image_prompt || ''}”. Save again to keep yours.`;
        } catch (reloadError) { showError(reloadError, 'The clip could not be reloaded'); }
      } else if (!showFieldErrors(this.form, error)) {
        showError(error, 'Prompts not saved');
      }
    }
  }

  async apply(kind, id) {
    if (!id) { toast(kind === 'characters' ? 'Choose a character first.' : 'Choose a style template first.'); return; }
    try {
      await api('POST', `/${kind}/${id}/apply`, { body: { clip_id: this.clip.id } });
      await this.page.refresh();
      await this.load();
    } catch (error) { showError(error, 'Not applied'); }
  }

  async rename() {
    const name = await ask('Rename clip', { value: this.clip.name });
    if (name === null) return;
    try { await api('PATCH', `/clips/${this.clip.id}`, { body: { name }, ifMatch: this.clip.version }); } catch (error) { showError(error, 'Not renamed'); }
    await this.page.refresh();
    await this.load();
  }

  async loadGallery() {
    const id = this.clipId;
    try {
      const gallery = await api('GET', `/clips/${id}/gallery`);
      if (id !== this.clipId || !this.gallery) return;
      const items = [...gallery.generated_images, ...gallery.generated_videos];
      if (!items.length) { clear(this.gallery, h('p', { class: 'muted' }, 'Nothing generated yet.')); return; }
      clear(this.gallery, items.map((item) => {
        const media = item.content_type === 'video'
          ? h('video', { controls: true, muted: true, loop: true, preload: 'metadata', 'aria-label': item.prompt || 'Video' })
          : h('img', { alt: item.prompt || 'Generated image', loading: 'lazy' });
        mediaSource(item.url).then((source) => { media.src = source; }).catch((error) => showError(error, 'An image could not be loaded'));
        return h('figure', { class: 'gallery-item' + (item.is_selected ? ' selected' : ''), role: 'listitem', dataset: { id: item.id } }, media,
          h('figcaption', {},
            item.is_selected ? h('span', { class: 'badge' }, 'Selected')
              : h('button', { type: 'button', onclick: () => this.select(item) }, 'Select'),
            item.seed !== null ? h('span', { class: 'muted' }, ` seed ${item.seed}`) : null));
      }));
    } catch (error) { showError(error, 'The gallery could not be loaded'); }
  }

  async select(item) {
    const body = item.content_type === 'video' ? { video_id: item.id } : { image_id: item.id };
    try { await api('POST', `/clips/${this.clip.id}/gallery/select`, { body }); } catch (error) { showError(error, 'Not selected'); }
    await this.loadGallery();
    await this.page.refresh();
  }

  async generate(type) {
    try {
      const answer = await api('POST', `/clips/${this.clip.id}/generate`, { body: { generation_type: type } });
      const jobs = answer.jobs || [];
      if (jobs[0]) this.page.jobStatus.set(this.clip.id, { status: jobs[0].status });
      this.page.drawTimeline();
      this.drawStatus();
      toast(type === 'video' ? 'Video generation queued.' : 'Image generation queued.');
    } catch (error) { showError(error, 'Generation did not start'); }
  }

  async snapshot() {
    try { await api('POST', `/clips/${this.clip.id}/versions`, { body: {} }); toast('Version saved.'); } catch (error) { showError(error, 'No version saved'); }
    await this.load();
  }

  async activate(number) {
    try { await api('POST', `/clips/${this.clip.id}/versions/${number}/activate`); } catch (error) { showError(error, 'Not activated'); }
    await this.page.refresh();
    await this.load();
  }

  async alternate() {
    try { await api('POST', `/clips/${this.clip.id}/alternates`, { body: {} }); toast('Alternate made.'); } catch (error) { showError(error, 'No alternate made'); }
    await this.page.refresh();
    this.draw();
    await this.loadGallery();
  }

  async promote(alternate) {
    try {
      await api('POST', `/clips/${alternate.id}/promote`);
      await this.page.refresh();
      this.page.showClip(alternate.id);
    } catch (error) { showError(error, 'Not promoted'); }
  }
}
