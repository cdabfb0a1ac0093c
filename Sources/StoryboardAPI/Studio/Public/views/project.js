// The project page: loads the project's tree and keeps it, lays out its parts (the music
// player, generation's batch panel, the timeline, the scene list, the clip panel) and does
// the edits they share: a clip's timing, order, scene and delete; the keyboard.
import { api } from '../api.js';
import { h, clear, toast, showError, ask, formatTime, navigate } from '../ui.js';
import { Timeline } from './timeline.js';
import { ClipPanel } from './clip-panel.js';
import { MusicPlayer } from './music-player.js';
import { BatchPanel } from './batch-panel.js';
import { SceneList } from './scene-list.js';
import { statusLabel } from './job-status.js';

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
    this.queue = Promise.resolve();
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
    this.music.load();
    this.batchPanel.attach();
    if (this.clipId) this.showClip(this.clipId, { fromURL: true });
  }

  destroy() {
    document.removeEventListener('keydown', this.onKey);
    if (this.batchPanel) this.batchPanel.destroy();
    if (this.timeline) this.timeline.destroy();
    if (this.music) this.music.destroy();
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

  /** Reloads and redraws now: for work already running in `serial`. */
  async reload() {
    await this.load();
    this.drawAll();
  }

  /** Runs `work` after earlier edits (nudges pressed quickly must not race each other). */
  serial(work) {
    this.queue = this.queue.then(work).catch((error) => showError(error));
    return this.queue;
  }

  /** Clip `id` as last loaded (undefined when it is not in the project). */
  clipOf(id) {
    const entry = this.clips.get(id);
    return entry ? entry.clip : undefined;
  }

  build() {
    this.title = h('h1', {}, this.project.name);
    const head = h('div', { class: 'page-head' }, this.title,
      h('span', { class: 'row-actions' },
        h('a', { href: `/projects/${this.id}/present` }, 'Present'),
        h('a', { href: `/projects/${this.id}/characters` }, 'Characters'),
        h('button', { type: 'button', onclick: () => this.renameProject() }, 'Rename'),
        h('button', { type: 'button', class: 'danger', onclick: () => this.deleteProject() }, 'Delete project')));

    this.timeline = new Timeline({
      onSelect: (id) => this.showClip(id),
      onChange: (clip, position, length) => this.serial(() => this.setTiming(this.clipOf(clip.id), position, length)),
      onSeek: (seconds) => this.music.seek(seconds),
    });
    this.issues = h('p', { class: 'timeline-issues muted', role: 'status' });

    this.music = new MusicPlayer({
      projectId: this.id,
      musicURL: () => this.project.music_url,
      onUploaded: () => this.refresh(),
      onPeaks: (peaks, perSecond) => {
        this.timeline.setPeaks(peaks, perSecond);
        this.timeline.element.dataset.waveform = 'ready';
      },
      onTime: (seconds, playing) => this.timeline.setPlayhead(seconds, playing),
    });

    this.batchPanel = new BatchPanel({
      projectId: this.id,
      jobStatus: this.jobStatus,
      onStatuses: () => { this.drawTimeline(); this.drawScenes(); },
      onJobEvent: (type, clipId) => {
        if ((type === 'progress' || type === 'preview') && clipId === this.clipId) this.panel.drawStatus();
        if (type === 'succeeded' && clipId === this.clipId) this.panel.galleryChanged();
      },
      onSettled: async (clipId) => {
        if (this.clips.has(clipId)) { await this.load(); }
        this.drawTimeline();
        this.drawScenes();
        this.panel.refresh();
      },
    });

    this.sceneList = new SceneList({
      projectId: this.id,
      jobStatus: this.jobStatus,
      serial: (work) => this.serial(work),
      refresh: () => this.refresh(),
      reload: () => this.reload(),
      showClip: (id) => this.showClip(id),
      reorderClips: (scene, ids) => this.reorderClips(scene, ids),
      moveClip: (id, sceneId, order) => this.moveClip(id, sceneId, order),
    });

    this.panel = new ClipPanel(this);
    clear(this.root, h('div', { class: 'project-page' }, head, this.music.element, this.batchPanel.element, this.timeline.element, this.issues,
      h('div', { class: 'workspace' }, this.sceneList.element, this.panel.element)));
  }

  drawAll() {
    this.title.textContent = this.project.name;
    document.title = `${this.project.name} · Storyboard`;
    this.music.showDuration(this.project.music_duration);
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
    this.sceneList.draw({
      scenes: this.scenes,
      clipId: this.clipId,
      // Long projects keep clip lists folded; the timeline shows them all anyway.
      fold: this.clips.size > 60,
      timelineEnd: this.timelineData ? this.timelineData.timeline_end || 0 : 0,
    });
  }

  showClip(id, { fromURL = false } = {}) {
    this.clipId = id && this.clips.has(id) ? id : null;
    if (id && !this.clips.has(id)) toast('That clip is not in this project (it may be in the Trash).', { kind: 'error' });
    const path = this.clipId ? `/projects/${this.id}/clips/${this.clipId}` : `/projects/${this.id}`;
    if (!fromURL && location.pathname !== path) history.pushState(null, '', path);
    this.timeline.select(this.clipId);
    if (this.clipId) this.timeline.reveal(this.clipId);
    this.sceneList.select(this.clipId);
    this.panel.show(this.clipId);
  }

  keydown(event) {
    const target = event.target;
    if (document.querySelector('dialog[open]')) return;
    if (target.closest && target.closest('input, textarea, select, [contenteditable="true"]')) return;
    if (event.key === ' ' && !target.closest('button, a, summary, [role="button"]')) {
      if (!this.music.hasSong) return;
      event.preventDefault();
      this.music.togglePlay();
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
          action: { label: `Use ${suggested} s`, run: () => this.serial(() => this.setTiming(this.clipOf(id), suggested, length)) },
        });
      } else {
        showError(error, 'Not moved');
      }
    }
    await this.reload();
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

  // What dragging a clip row does, also offered as buttons in the clip panel (keyboard users).

  reorderClips(scene, ids) {
    return this.serial(async () => {
      await api('POST', `/scenes/${scene.id}/clips/reorder`, { body: { clip_ids: ids } });
      await this.reload();
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
      await this.reload();
    });
  }
}
