// The project page: music, timeline, scenes and clips, the clip panel, generation.
import { api, listAll, upload, followEvents, mediaBytes } from '../api.js';
import { h, clear, toast, showError, showFieldErrors, ask, formatTime, navigate } from '../ui.js';
import { Timeline } from './timeline.js';
import { ClipPanel } from './clip-panel.js';

let active = null;

export async function render(root, params) {
  const page = new ProjectPage(root, params);
  active = page;
  await page.start();
  return () => { page.destroy(); if (active === page) active = null; };
}

/** The same project under another clip URL: select that clip, keep everything else. */
export function update(params) {
  if (active) active.showClip(params.clipId || null, { fromURL: true });
}

const activeBatchStatuses = ['queued', 'running'];

class ProjectPage {
  constructor(root, params) {
    this.root = root;
    this.id = params.id;
    this.clipId = params.clipId || null;
    this.project = null;
    this.scenes = [];
    this.timelineData = null;
    this.clips = new Map(); // id → {clip, scene}
    this.jobStatus = new Map(); // clip id → {status, error}
    this.batches = new Map();
    this.queue = Promise.resolve();
    this.stopEvents = null;
    this.audioURL = null;
    this.onKey = (event) => this.keydown(event);
  }

  async start() {
    try {
      await this.load();
    } catch (error) {
      clear(this.root, h('h1', {}, 'Project'), h('p', { class: 'error-text', role: 'alert' }, error.message), h('p', {}, h('a', { href: '/' }, 'Back to the projects')));
      return;
    }
    performance.mark('storyboard:project-loaded');
    this.build();
    this.drawAll();
    this.timeline.fit();
    performance.mark('storyboard:project-rendered');
    // The frame after this one has been painted: what the user sees, for the benchmark.
    requestAnimationFrame(() => setTimeout(() => performance.mark('storyboard:project-painted'), 0));
    document.addEventListener('keydown', this.onKey);
    this.loadMusic();
    this.attachGeneration();
    if (this.clipId) this.showClip(this.clipId, { fromURL: true });
  }

  destroy() {
    document.removeEventListener('keydown', this.onKey);
    if (this.stopEvents) this.stopEvents();
    if (this.timeline) this.timeline.destroy();
    if (this.audio) this.audio.pause();
    cancelAnimationFrame(this.playFrame);
    clearTimeout(this.refreshTimer);
    if (this.audioURL && this.audioURL.startsWith('blob:')) URL.revokeObjectURL(this.audioURL);
  }

  async load() {
    const [project, timeline] = await Promise.all([
      api('GET', `/projects/${this.id}`, { query: { include: 'scenes.clips' } }),
      api('GET', `/projects/${this.id}/timeline`),
    ]);
    this.project = project;
    this.scenes = project.scenes || [];
    this.timelineData = timeline;
    this.clips.clear();
    for (const scene of this.scenes) {
      for (const clip of scene.clips || []) this.clips.set(clip.id, { clip, scene });
    }
  }

  /** Reloads from the server and redraws; serialized so edits apply in order. */
  refresh() {
    this.queue = this.queue.then(async () => {
      try {
        await this.load();
        this.drawAll();
      } catch (error) { showError(error, 'The project could not be reloaded'); }
    });
    return this.queue;
  }

  /** Runs `work` after earlier edits (nudges pressed quickly must not race each other). */
  serial(work) {
    this.queue = this.queue.then(work).catch((error) => showError(error));
    return this.queue;
  }

  build() {
    this.title = h('h1', {}, this.project.name);
    const head = h('div', { class: 'page-head' }, this.title,
      h('span', { class: 'row-actions' },
        h('a', { href: `/projects/${this.id}/present` }, 'Present'),
        h('a', { href: `/projects/${this.id}/characters` }, 'Characters'),
        h('button', { type: 'button', onclick: () => this.renameProject() }, 'Rename'),
        h('button', { type: 'button', class: 'danger', onclick: () => this.deleteProject() }, 'Delete project')));

    // Music: a drop zone that is also a file picker, a progress bar, the player.
    this.fileInput = h('input', { type: 'file', accept: 'audio/*', class: 'visually-hidden', id: 'music-file', onchange: () => this.fileInput.files[0] && this.uploadMusic(this.fileInput.files[0]) });
    this.progress = h('progress', { max: '1', value: '0', class: 'upload-progress', hidden: true, 'aria-label': 'Upload progress' });
    this.musicInfo = h('span', { class: 'muted music-info' });
    this.playButton = h('button', { type: 'button', class: 'play', disabled: true, onclick: () => this.togglePlay(), 'aria-label': 'Play' }, '▶');
    this.clock = h('span', { class: 'clock', 'aria-live': 'off' }, '0:00.0');
    this.dropZone = h('label', { class: 'drop-zone', for: 'music-file', tabindex: '0', onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); this.fileInput.click(); } } },
      'Drop a song here or choose a file (mp3, wav, flac, ogg, m4a)');
    for (const name of ['dragenter', 'dragover']) this.dropZone.addEventListener(name, (event) => { event.preventDefault(); this.dropZone.classList.add('over'); });
    this.dropZone.addEventListener('dragleave', () => this.dropZone.classList.remove('over'));
    this.dropZone.addEventListener('drop', (event) => {
      event.preventDefault();
      this.dropZone.classList.remove('over');
      const file = event.dataTransfer.files[0];
      if (file) this.uploadMusic(file);
    });
    const music = h('section', { class: 'music', 'aria-label': 'Music' }, this.playButton, this.clock, this.musicInfo, this.dropZone, this.fileInput, this.progress);

    // Generation: one bar per batch that is running or just finished.
    this.batchArea = h('div', { class: 'batches', 'aria-live': 'polite' });
    this.eventState = h('span', { class: 'muted event-state' });
    const generation = h('section', { class: 'generation', 'aria-label': 'Generation' },
      h('button', { type: 'button', class: 'primary', onclick: () => this.generateAll() }, 'Generate all images'),
      this.eventState, this.batchArea);

    this.timeline = new Timeline({
      onSelect: (id) => this.showClip(id),
      onChange: (clip, position, length) => this.serial(() => this.setTiming(this.clips.get(clip.id)?.clip, position, length)),
      onSeek: (seconds) => this.seek(seconds),
    });
    this.issues = h('p', { class: 'timeline-issues muted', role: 'status' });

    this.sceneList = h('ol', { class: 'scene-list', 'aria-label': 'Scenes' });
    const sceneName = h('input', { name: 'name', required: true, maxlength: 200, placeholder: 'New scene name', 'aria-label': 'New scene name', autocomplete: 'off' });
    const sceneForm = h('form', { class: 'inline-form', onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api('POST', `/projects/${this.id}/scenes`, { body: { name: sceneName.value } });
        sceneName.value = '';
        await this.refresh();
      } catch (error) { if (!showFieldErrors(sceneForm, error)) showError(error, 'The scene was not added'); }
    } }, sceneName, h('button', { type: 'submit' }, 'Add scene'));
    const scenes = h('section', { class: 'scenes', 'aria-label': 'Scenes and clips' }, h('h2', {}, 'Scenes'), this.sceneList, sceneForm);

    this.panel = new ClipPanel(this);
    clear(this.root, h('div', { class: 'project-page' }, head, music, generation, this.timeline.element, this.issues,
      h('div', { class: 'workspace' }, scenes, this.panel.element)));
  }

  drawAll() {
    this.title.textContent = this.project.name;
    document.title = `${this.project.name} · Storyboard`;
    const duration = this.project.music_duration;
    this.musicInfo.textContent = duration ? `Song: ${formatTime(duration)}` : 'No song yet';
    this.drawTimeline();
    this.drawScenes();
    this.panel.refresh();
  }

  drawTimeline() {
    const scenes = this.scenes.map((scene, index) => ({ id: scene.id, name: scene.name, index }));
    const clips = [];
    for (const { clip, scene } of this.clips.values()) {
      const job = this.jobStatus.get(clip.id);
      clips.push({
        id: clip.id, name: clip.name, start: clip.timeline_position, end: clip.timeline_position + clip.length, scene_id: scene.id,
        status: job ? job.status : null, statusText: job ? statusLabel(job.status) : null,
      });
    }
    const data = this.timelineData || {};
    this.timeline.setData({ clips, scenes, gaps: data.gaps, overlaps: data.overlaps, duration: this.project.music_duration });
    this.timeline.select(this.clipId);
    const parts = [];
    if (data.gaps && data.gaps.length) parts.push(`${data.gaps.length} gap${data.gaps.length === 1 ? '' : 's'}`);
    if (data.overlaps && data.overlaps.length) parts.push(`${data.overlaps.length} overlap${data.overlaps.length === 1 ? '' : 's'}`);
    if (data.clips_past_music_end && data.clips_past_music_end.length) parts.push(`${data.clips_past_music_end.length} clip(s) past the song's end`);
    this.issues.textContent = `${this.clips.size} clip${this.clips.size === 1 ? '' : 's'}, ends at ${formatTime(data.timeline_end || 0)}` + (parts.length ? ` · ${parts.join(' · ')}` : ' · no gaps or overlaps');
  }

  drawScenes() {
    // Long projects keep clip lists folded; the timeline shows them all anyway.
    const fold = this.clips.size > 60;
    clear(this.sceneList, this.scenes.map((scene, index) => this.sceneItem(scene, index, fold)));
    if (!this.scenes.length) this.sceneList.append(h('li', { class: 'muted' }, 'No scenes yet: add one below.'));
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
      h('details', { open: !fold || clips.some((clip) => clip.id === this.clipId) },
        h('summary', {}, 'Clips'),
        h('ol', { class: 'clip-list' }, clips.map((clip) => this.clipItem(clip, scene))),
        clipForm));
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
      h('a', { href: `/projects/${this.id}/clips/${clip.id}`, 'aria-current': clip.id === this.clipId ? 'true' : null }, clip.name),
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

  // What dragging a clip row does, also offered as buttons in the clip panel (keyboard users).

  reorderClips(scene, ids) {
    return this.serial(async () => {
      await api('POST', `/scenes/${scene.id}/clips/reorder`, { body: { clip_ids: ids } });
      await this.load(); this.drawAll();
    });
  }

  /** One place earlier (-1) or later (+1) in its scene. */
  shiftClip(id, delta) {
    const entry = this.clips.get(id);
    if (!entry) return this.queue;
    const ids = (entry.scene.clips || []).map((each) => each.id);
    const index = ids.indexOf(id);
    if (index + delta < 0 || index + delta >= ids.length) return this.queue;
    ids.splice(index, 1);
    ids.splice(index + delta, 0, id);
    return this.reorderClips(entry.scene, ids);
  }

  /** Into another scene of the project, at `order` (the end when not given). */
  moveClip(id, sceneId, order) {
    return this.serial(async () => {
      await api('POST', `/clips/${id}/move`, { body: order === undefined ? { scene_id: sceneId } : { scene_id: sceneId, order } });
      await this.load(); this.drawAll();
    });
  }

  showClip(id, { fromURL = false } = {}) {
    this.clipId = id && this.clips.has(id) ? id : null;
    if (id && !this.clips.has(id)) toast('That clip is not in this project (it may be in the Trash).', { kind: 'error' });
    const path = this.clipId ? `/projects/${this.id}/clips/${this.clipId}` : `/projects/${this.id}`;
    if (!fromURL && location.pathname !== path) history.pushState(null, '', path);
    this.timeline.select(this.clipId);
    if (this.clipId) this.timeline.reveal(this.clipId);
    for (const row of this.sceneList.querySelectorAll('.clip-row')) row.classList.toggle('selected', row.dataset.id === this.clipId);
    this.panel.show(this.clipId);
  }

  // MARK: edits

  async renameProject() {
    const name = await ask('Rename project', { value: this.project.name });
    if (name === null) return;
    try {
      await api('PATCH', `/projects/${this.id}`, { body: { name }, ifMatch: this.project.version });
    } catch (error) { showError(error, 'Not renamed'); }
    await this.refresh();
  }

  async deleteProject() {
    const { name, version } = this.project;
    try {
      await api('DELETE', `/projects/${this.id}`, { ifMatch: version });
    } catch (error) { showError(error, 'Not deleted'); return; }
    const id = this.id;
    navigate('/');
    toast(`“${name}” moved to the Trash.`, {
      timeout: 15000,
      action: { label: 'Undo', run: async () => {
        try { await api('POST', `/projects/${id}/restore`); navigate(`/projects/${id}`); } catch (error) { showError(error, 'Not restored'); }
      } },
    });
  }

  async addClip(scene, form, nameInput, lengthInput) {
    const end = this.timelineData ? this.timelineData.timeline_end || 0 : 0;
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
      try { await api('POST', `/projects/${this.id}/scenes/reorder`, { body: { scene_ids: ids } }); } catch (error) { showError(error, 'Not reordered'); }
      await this.load();
      this.drawAll();
    });
  }

  /** Moves or resizes a clip; a 409 overlap offers the server's suggested position. */
  async setTiming(clip, position, length) {
    if (!clip) return;
    const body = { timeline_position: position };
    if (length !== null && length !== undefined) body.length = length;
    try {
      await api('PUT', `/clips/${clip.id}/timeline`, { body, ifMatch: clip.version });
    } catch (error) {
      if (error.status === 409 && typeof error.details.suggested_position === 'number') {
        const suggested = error.details.suggested_position;
        const id = clip.id;
        toast(`${error.message}. Suggested position: ${formatTime(suggested)} (${suggested} s).`, {
          kind: 'warning', timeout: 0,
          action: { label: `Use ${suggested} s`, run: () => this.serial(() => this.setTiming(this.clips.get(id)?.clip, suggested, length)) },
        });
      } else {
        showError(error, 'Not moved');
      }
    }
    await this.load();
    this.drawAll();
  }

  nudge(seconds) {
    this.serial(async () => {
      const entry = this.clipId && this.clips.get(this.clipId);
      if (!entry) return;
      const position = Math.max(0, Math.round((entry.clip.timeline_position + seconds) * 100) / 100);
      await this.setTiming(entry.clip, position, null);
    });
  }

  async deleteClip(id) {
    const entry = this.clips.get(id);
    if (!entry) return;
    const { clip } = entry;
    try { await api('DELETE', `/clips/${clip.id}`, { ifMatch: clip.version }); } catch (error) { showError(error, 'Not deleted'); return; }
    if (this.clipId === clip.id) this.showClip(null);
    await this.refresh();
    toast(`Clip “${clip.name}” moved to the Trash.`, { timeout: 15000, action: { label: 'Undo', run: async () => {
      try { await api('POST', `/clips/${clip.id}/restore`); } catch (error) { showError(error, 'Not restored'); }
      await this.refresh();
    } } });
  }

  keydown(event) {
    const target = event.target;
    if (document.querySelector('dialog[open]')) return;
    if (target.closest && target.closest('input, textarea, select, [contenteditable="true"]')) return;
    if (event.key === ' ' && !target.closest('button, a, summary, [role="button"]')) {
      if (!this.audio) return;
      event.preventDefault();
      this.togglePlay();
    } else if ((event.key === 'ArrowLeft' || event.key === 'ArrowRight') && this.clipId && !event.altKey && !event.metaKey && !event.ctrlKey) {
      event.preventDefault();
      const step = event.shiftKey ? 1 : 0.1;
      this.nudge(event.key === 'ArrowLeft' ? -step : step);
    } else if ((event.key === 'Delete' || event.key === 'Backspace') && this.clipId) {
      event.preventDefault();
      this.deleteClip(this.clipId);
    } else if (event.key === 'Escape' && this.clipId) {
      this.showClip(null);
    }
  }

  // MARK: music

  async uploadMusic(file) {
    this.progress.hidden = false;
    this.progress.value = 0;
    try {
      await upload('PUT', `/projects/${this.id}/music`, file, (fraction) => { this.progress.value = fraction; });
      this.progress.value = 1;
      toast(`“${file.name}” is the song now.`);
      await this.refresh();
      await this.loadMusic();
    } catch (error) {
      showError(error, 'The song was not uploaded');
    } finally {
      this.progress.hidden = true;
    }
  }

  async loadMusic() {
    if (!this.project.music_url) return;
    try {
      const bytes = await mediaBytes(this.project.music_url);
      if (this.audioURL && this.audioURL.startsWith('blob:')) URL.revokeObjectURL(this.audioURL);
      this.audioURL = URL.createObjectURL(new Blob([bytes]));
      if (!this.audio) {
        this.audio = new Audio();
        this.audio.addEventListener('play', () => { this.playButton.textContent = '❚❚'; this.playButton.setAttribute('aria-label', 'Pause'); this.follow(); });
        this.audio.addEventListener('pause', () => { this.playButton.textContent = '▶'; this.playButton.setAttribute('aria-label', 'Play'); });
        this.audio.addEventListener('timeupdate', () => { if (this.audio.paused) this.showTime(); });
      }
      this.audio.src = this.audioURL;
      this.playButton.disabled = false;
      // The waveform: decode in the browser, keep the loudest sample of each 1/100 s.
      const context = new OfflineAudioContext(1, 1, 44100);
      const buffer = await context.decodeAudioData(bytes.slice(0));
      const perSecond = 100;
      const channel = buffer.getChannelData(0);
      const size = Math.ceil(buffer.duration * perSecond);
      const peaks = new Float32Array(size);
      const samplesPer = buffer.sampleRate / perSecond;
      for (let i = 0; i < size; i += 1) {
        let peak = 0;
        const end = Math.min(channel.length, Math.floor((i + 1) * samplesPer));
        for (let j = Math.floor(i * samplesPer); j < end; j += 1) { const value = Math.abs(channel[j]); if (value > peak) peak = value; }
        peaks[i] = peak;
      }
      this.timeline.setPeaks(peaks, perSecond);
      this.timeline.element.dataset.waveform = 'ready';
    } catch (error) {
      showError(error, 'The song could not be loaded');
    }
  }

  togglePlay() {
    if (!this.audio) return;
    if (this.audio.paused) this.audio.play().catch((error) => showError(error, 'Playback failed'));
    else this.audio.pause();
  }

  seek(seconds) {
    if (this.audio) this.audio.currentTime = seconds;
    this.timeline.setPlayhead(seconds, false);
    this.clock.textContent = formatTime(seconds);
  }

  showTime() {
    const now = this.audio.currentTime;
    this.clock.textContent = formatTime(now);
    this.timeline.setPlayhead(now, !this.audio.paused);
  }

  follow() {
    cancelAnimationFrame(this.playFrame);
    const tick = () => {
      if (!this.audio || this.audio.paused) return;
      this.showTime();
      this.playFrame = requestAnimationFrame(tick);
    };
    tick();
  }

  // MARK: generation

  async attachGeneration() {
    // Running batches are read from the server, so a reload or a second tab sees them too.
    try {
      for (const status of activeBatchStatuses) {
        for (const batch of await listAll(`/projects/${this.id}/batches`, { status })) await this.loadBatch(batch.id);
      }
      for (const status of ['queued', 'running']) {
        for (const job of await listAll('/jobs', { project_id: this.id, status })) {
          if (job.clip_id) this.jobStatus.set(job.clip_id, { status: job.status });
        }
      }
      this.drawTimeline();
      this.drawScenes();
    } catch (error) { showError(error, 'Generation state could not be loaded'); }
    this.stopEvents = followEvents(`/events?project_id=${encodeURIComponent(this.id)}`, (type, data) => this.jobEvent(type, data), {
      onState: (state, error) => {
        this.eventState.textContent = state === 'open' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : `Live updates stopped: ${error ? error.message : ''}`;
        this.eventState.dataset.state = state;
      },
    });
  }

  jobEvent(type, data) {
    if (!data.clip_id) return;
    const status = type === 'retrying' ? 'queued' : type === 'started' || type === 'progress' || type === 'preview' ? 'running' : type;
    // A running job keeps its latest step and preview until it ends.
    const previous = this.jobStatus.get(data.clip_id) || {};
    const running = status === 'running' && previous.status === 'running';
    this.jobStatus.set(data.clip_id, {
      status, error: data.error || null,
      progress: type === 'progress' ? { value: data.value, max: data.max } : running ? previous.progress : null,
      preview: type === 'preview' ? { url: data.url, sequence: data.sequence } : running ? previous.preview : null,
    });
    if ((type === 'progress' || type === 'preview') && data.clip_id === this.clipId) this.panel.drawStatus();
    if (data.batch_id) this.batchDirty = new Set([...(this.batchDirty || []), data.batch_id]);
    if (type === 'succeeded' && data.clip_id === this.clipId) this.panel.galleryChanged();
    // Many events come at once during a batch: redraw once per burst.
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      const dirty = this.batchDirty || new Set();
      this.batchDirty = new Set();
      for (const id of dirty) await this.loadBatch(id);
      if (this.clips.has(data.clip_id)) { await this.load(); }
      this.drawTimeline();
      this.drawScenes();
      this.panel.refresh();
    }, 300);
  }

  async generateAll() {
    try {
      const batch = await api('POST', `/projects/${this.id}/batches`, { body: { generation_type: 'image' } });
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
      this.drawBatches();
    } catch (error) { showError(error, 'The batch could not be read'); }
  }

  drawBatches() {
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
        running ? null : h('button', { type: 'button', class: 'icon', 'aria-label': 'Dismiss', onclick: () => { this.batches.delete(batch.id); this.drawBatches(); } }, '×'));
    }));
  }

  async batchAction(batch, action) {
    try { await api('POST', `/batches/${batch.id}/${action}`); } catch (error) { showError(error); }
    await this.loadBatch(batch.id);
  }
}

function statusLabel(status) {
  return { queued: 'queued', running: 'running', succeeded: 'done', failed: 'failed', cancelled: 'cancelled' }[status] || status;
}
