// The scene list: the project's scenes in order, each with its alternates, its clips and a
// form to add one; scenes reordered by drag or buttons, renamed, copied as an alternate,
// promoted, deleted; clip rows dragged within or across scenes; the add-scene form.
import { api } from '../api.js';
import { h, clear, toast, showError, showFieldErrors, ask, formatTime } from '../ui.js';
import { statusLabel } from './job-status.js';

export class SceneList {
  /**
   * `jobStatus`: the page's map of clip id → job status, read when a row is drawn.
   * `serial(work)`: runs `work` after the page's earlier edits. `refresh()`: reloads and
   * redraws the page after them; `reload()`: the same, inside `serial` work. `showClip(id)`:
   * selects a clip. `reorderClips(scene, ids)`, `moveClip(id, sceneId, order)`: what
   * dropping a clip row does.
   */
  constructor({ projectId, jobStatus, serial, refresh, reload, showClip, reorderClips, moveClip }) {
    this.projectId = projectId;
    this.jobStatus = jobStatus;
    this.serial = serial;
    this.refresh = refresh;
    this.reload = reload;
    this.showClip = showClip;
    this.reorderClips = reorderClips;
    this.moveClip = moveClip;
    this.scenes = [];
    this.clipId = null;
    this.timelineEnd = 0;

    this.list = h('ol', { class: 'scene-list', 'aria-label': 'Scenes' });
    const sceneName = h('input', { name: 'name', required: true, maxlength: 200, placeholder: 'New scene name', 'aria-label': 'New scene name', autocomplete: 'off' });
    const sceneForm = h('form', { class: 'inline-form', onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api('POST', `/projects/${this.projectId}/scenes`, { body: { name: sceneName.value } });
        sceneName.value = '';
        await this.refresh();
      } catch (error) { if (!showFieldErrors(sceneForm, error)) showError(error, 'The scene was not added'); }
    } }, sceneName, h('button', { type: 'submit' }, 'Add scene'));
    this.element = h('section', { class: 'scenes', 'aria-label': 'Scenes and clips' }, h('h2', {}, 'Scenes'), this.list, sceneForm);
  }

  /**
   * Draws `scenes` (each with its `clips`); `clipId`: the selected clip; `fold`: keep clip
   * lists closed; `timelineEnd`: where a new clip goes (seconds).
   */
  draw({ scenes, clipId, fold, timelineEnd }) {
    this.scenes = scenes;
    this.clipId = clipId;
    this.timelineEnd = timelineEnd;
    clear(this.list, scenes.map((scene, index) => this.sceneItem(scene, index, fold)));
    if (!scenes.length) this.list.append(h('li', { class: 'muted' }, 'No scenes yet: add one below.'));
  }

  /** Marks clip `clipId`'s row as the selected one (null: none). */
  select(clipId) {
    this.clipId = clipId;
    for (const row of this.list.querySelectorAll('.clip-row')) row.classList.toggle('selected', row.dataset.id === clipId);
  }

  sceneItem(scene, index, fold) {
    const clips = scene.clips || [];
    const clipName = h('input', { name: 'name', required: true, maxlength: 200, placeholder: 'Clip name', 'aria-label': `New clip in ${scene.name}`, autocomplete: 'off' });
    const clipLength = h('input', { name: 'length', type: 'number', min: '0.1', step: '0.1', value: '4', 'aria-label': 'Length in seconds', class: 'narrow' });
    const clipForm = h('form', { class: 'inline-form', onsubmit: (event) => { event.preventDefault(); this.addClip(scene, clipForm, clipName, clipLength); } },
      clipName, clipLength, h('button', { type: 'submit' }, 'Add clip'));
    const alternates = (scene.alternates || []).map((alternate) => h('li', { class: 'alternate' },
      h('span', {}, alternate.name),
      h('button', { type: 'button', onclick: () => this.promoteScene(alternate), 'aria-label': `Promote ${alternate.name}` }, 'Promote')));
    // A folded list is built when it is first opened: a 1,000-clip project's page would
    // otherwise build a thousand rows nobody sees before its first frame.
    const open = !fold || clips.some((clip) => clip.id === this.clipId);
    const list = h('ol', { class: 'clip-list' }, open ? clips.map((clip) => this.clipItem(clip, scene)) : []);
    const details = h('details', { open }, h('summary', {}, 'Clips'), list, clipForm);
    if (!open) {
      details.addEventListener('toggle', () => {
        if (details.open && !list.childElementCount) list.append(...clips.map((clip) => this.clipItem(clip, scene)));
      });
    }
    const item = h('li', { class: 'scene', draggable: 'true', dataset: { id: scene.id } },
      h('div', { class: 'scene-head' },
        h('span', { class: 'drag-handle', 'aria-hidden': 'true', title: 'Drag to reorder' }, '⋮⋮'),
        h('strong', { class: 'scene-name' }, `${index + 1}. ${scene.name}`),
        h('span', { class: 'muted' }, `${clips.length} clip${clips.length === 1 ? '' : 's'}`),
        h('span', { class: 'row-actions' },
          h('button', { type: 'button', disabled: index === 0, onclick: () => this.moveScene(index, -1), 'aria-label': `Move ${scene.name} up` }, '↑'),
          h('button', { type: 'button', disabled: index === this.scenes.length - 1, onclick: () => this.moveScene(index, 1), 'aria-label': `Move ${scene.name} down` }, '↓'),
          h('button', { type: 'button', onclick: () => this.renameScene(scene), 'aria-label': `Rename ${scene.name}` }, 'Rename'),
          h('button', { type: 'button', onclick: () => this.alternateScene(scene), 'aria-label': `Make an alternate of ${scene.name}` }, 'Alternate'),
          h('button', { type: 'button', class: 'danger', onclick: () => this.deleteScene(scene), 'aria-label': `Delete ${scene.name}` }, 'Delete'))),
      alternates.length ? h('ul', { class: 'alternates', 'aria-label': `Alternates of ${scene.name}` }, alternates) : null,
      details);
    item.addEventListener('dragstart', (event) => {
      if (event.target !== item) return;
      event.dataTransfer.setData('application/x-storyboard-scene', scene.id);
      event.dataTransfer.effectAllowed = 'move';
    });
    item.addEventListener('dragover', (event) => {
      if (event.dataTransfer.types.includes('application/x-storyboard-scene')) { event.preventDefault(); item.classList.add('drop-target'); }
    });
    item.addEventListener('dragleave', () => item.classList.remove('drop-target'));
    item.addEventListener('drop', (event) => {
      item.classList.remove('drop-target');
      const dragged = event.dataTransfer.getData('application/x-storyboard-scene');
      if (!dragged || dragged === scene.id) return;
      event.preventDefault();
      const ids = this.scenes.map((each) => each.id).filter((id) => id !== dragged);
      ids.splice(ids.indexOf(scene.id), 0, dragged);
      this.reorderScenes(ids);
    });
    return item;
  }

  clipItem(clip, scene) {
    const job = this.jobStatus.get(clip.id);
    const item = h('li', { class: 'clip-row' + (clip.id === this.clipId ? ' selected' : ''), draggable: 'true', dataset: { id: clip.id } },
      h('a', { href: `/projects/${this.projectId}/clips/${clip.id}`, 'aria-current': clip.id === this.clipId ? 'true' : null }, clip.name),
      h('span', { class: 'muted' }, `${formatTime(clip.timeline_position)} · ${clip.length} s`),
      job ? h('span', { class: `job-badge job-${job.status}`, title: job.error || '' }, statusLabel(job.status)) : null,
      (clip.alternates || []).length ? h('span', { class: 'muted' }, ` · ${clip.alternates.length} alt.`) : null);
    item.addEventListener('dragstart', (event) => {
      event.stopPropagation();
      event.dataTransfer.setData('application/x-storyboard-clip', JSON.stringify({ id: clip.id, scene: scene.id }));
    });
    item.addEventListener('dragover', (event) => {
      if (event.dataTransfer.types.includes('application/x-storyboard-clip')) { event.preventDefault(); event.stopPropagation(); }
    });
    item.addEventListener('drop', (event) => {
      const text = event.dataTransfer.getData('application/x-storyboard-clip');
      if (!text) return;
      event.preventDefault();
      event.stopPropagation();
      const dragged = JSON.parse(text);
      if (dragged.id === clip.id) return;
      if (dragged.scene === scene.id) {
        const ids = (scene.clips || []).map((each) => each.id).filter((id) => id !== dragged.id);
        ids.splice(ids.indexOf(clip.id), 0, dragged.id);
        this.reorderClips(scene, ids);
      } else {
        this.moveClip(dragged.id, scene.id, clip.order);
      }
    });
    return item;
  }

  async addClip(scene, form, nameInput, lengthInput) {
    const end = this.timelineEnd;
    try {
      const clip = await api('POST', `/scenes/${scene.id}/clips`, { body: { name: nameInput.value, length: Number(lengthInput.value), timeline_position: Math.round(end * 100) / 100 } });
      await this.refresh();
      this.showClip(clip.id);
    } catch (error) { if (!showFieldErrors(form, error)) showError(error, 'The clip was not added'); }
  }

  async renameScene(scene) {
    const name = await ask('Rename scene', { value: scene.name });
    if (name === null) return;
    try { await api('PATCH', `/scenes/${scene.id}`, { body: { name }, ifMatch: scene.version }); } catch (error) { showError(error, 'Not renamed'); }
    await this.refresh();
  }

  async deleteScene(scene) {
    try { await api('DELETE', `/scenes/${scene.id}`, { ifMatch: scene.version }); } catch (error) { showError(error, 'Not deleted'); return; }
    await this.refresh();
    toast(`Scene “${scene.name}” moved to the Trash.`, { timeout: 15000, action: { label: 'Undo', run: async () => {
      try { await api('POST', `/scenes/${scene.id}/restore`); } catch (error) { showError(error, 'Not restored'); }
      await this.refresh();
    } } });
  }

  async alternateScene(scene) {
    try {
      await api('POST', `/scenes/${scene.id}/alternates`, { body: {}, query: { copy_clips: 'true' } });
      toast(`An alternate of “${scene.name}” was made with copies of its clips.`);
    } catch (error) { showError(error, 'No alternate made'); }
    await this.refresh();
  }

  async promoteScene(alternate) {
    try { await api('POST', `/scenes/${alternate.id}/promote`); } catch (error) { showError(error, 'Not promoted'); }
    await this.refresh();
  }

  moveScene(index, delta) {
    const ids = this.scenes.map((scene) => scene.id);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + delta, 0, moved);
    this.reorderScenes(ids);
  }

  reorderScenes(ids) {
    this.serial(async () => {
      try { await api('POST', `/projects/${this.projectId}/scenes/reorder`, { body: { scene_ids: ids } }); } catch (error) { showError(error, 'Not reordered'); }
      await this.reload();
    });
  }
}
