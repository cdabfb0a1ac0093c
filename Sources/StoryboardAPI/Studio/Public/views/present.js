// Presentation: the song plays full screen with each clip's selected media at its time
// (videos played, stills held), the scene's name as the title; ←/→ jump between scenes.
import { api, mediaBytes, mediaSource } from '../api.js';
import { h, clear, showError, formatTime, navigate } from '../ui.js';
import { renderPanel } from './render-panel.js';

export async function render(root, params) {
  let project;
  try {
    project = await api('GET', `/projects/${params.id}`, { query: { include: 'scenes.clips' } });
  } catch (error) {
    clear(root, h('h1', {}, 'Presentation'), h('p', { class: 'error-text', role: 'alert' }, error.message));
    return undefined;
  }
  // Clips in time order with their scene, and where each scene starts.
  const shots = [];
  const sceneStarts = [];
  for (const scene of project.scenes || []) {
    const clips = scene.clips || [];
    if (clips.length) sceneStarts.push({ name: scene.name, start: Math.min(...clips.map((clip) => clip.timeline_position)) });
    for (const clip of clips) shots.push({ clip, scene, start: clip.timeline_position, end: clip.timeline_position + clip.length });
  }
  shots.sort((a, b) => a.start - b.start);
  sceneStarts.sort((a, b) => a.start - b.start);

  const title = h('h1', { class: 'present-title' }, project.name);
  const stage = h('div', { class: 'present-stage' });
  const caption = h('p', { class: 'present-caption', 'aria-live': 'polite' });
  const clock = h('span', { class: 'clock' }, '0:00.0');
  const play = h('button', { type: 'button', class: 'play', 'aria-label': 'Play', disabled: true }, '▶');
  const exit = h('button', { type: 'button', onclick: () => leave() }, 'Exit (Esc)');
  const animatic = renderPanel(params.id);
  const screen = h('section', { class: 'present', tabindex: '-1', 'aria-label': 'Presentation' },
    title, stage, caption, h('div', { class: 'present-controls' }, play, clock,
      h('span', { class: 'muted' }, 'Space: play/pause · ←/→: previous/next scene'), exit), animatic.element);
  clear(root, screen);
  screen.focus();

  const audio = new Audio();
  let frame = 0;
  let shown = null;
  const sources = new Map();
  const urls = [];

  if (project.music_url) {
    try {
      const bytes = await mediaBytes(project.music_url);
      const url = URL.createObjectURL(new Blob([bytes]));
      urls.push(url);
      audio.src = url;
      play.disabled = false;
    } catch (error) { showError(error, 'The song could not be loaded'); }
  } else {
    caption.textContent = 'This project has no song yet: upload one on the project page.';
  }

  async function source(url) {
    if (!sources.has(url)) sources.set(url, mediaSource(url));
    return sources.get(url);
  }

  function shotAt(time) {
    let low = 0;
    let high = shots.length - 1;
    let found = null;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (shots[mid].start <= time) { found = mid; low = mid + 1; } else high = mid - 1;
    }
    if (found === null) return null;
    // A still is held until the next clip starts; past a clip's end with nothing after, black.
    const shot = shots[found];
    return time < shot.end || (shots[found + 1] && time < shots[found + 1].start) ? shot : null;
  }

  function show(time) {
    clock.textContent = formatTime(time);
    const shot = shotAt(time);
    if (shot !== shown) {
      shown = shot;
      stage.replaceChildren();
      if (shot) {
        title.textContent = shot.scene.name;
        caption.textContent = shot.clip.lyrics || shot.clip.name;
        const { clip } = shot;
        if (clip.selected_video_id) {
          const video = h('video', { muted: true, playsinline: true, 'aria-label': clip.name });
          source(`/api/media/${clip.selected_video_id}`).then((url) => {
            video.src = url;
            video.currentTime = Math.max(0, time - shot.start);
            if (!audio.paused) video.play().catch(() => {});
          }).catch((error) => showError(error));
          stage.append(video);
        } else if (clip.selected_image_id) {
          const image = h('img', { alt: clip.image_prompt || clip.name });
          source(`/api/media/${clip.selected_image_id}`).then((url) => { image.src = url; }).catch((error) => showError(error));
          stage.append(image);
        } else {
          stage.append(h('p', { class: 'present-empty' }, clip.name));
        }
      } else {
        title.textContent = project.name;
        caption.textContent = '';
      }
      screen.dataset.clipId = shot ? shot.clip.id : '';
    }
    const video = stage.querySelector('video');
    if (video && audio.paused !== video.paused) { if (audio.paused) video.pause(); else video.play().catch(() => {}); }
  }

  const tick = () => { show(audio.currentTime); frame = requestAnimationFrame(tick); };
  audio.addEventListener('play', () => { play.textContent = '❚❚'; play.setAttribute('aria-label', 'Pause'); cancelAnimationFrame(frame); tick(); });
  audio.addEventListener('pause', () => { play.textContent = '▶'; play.setAttribute('aria-label', 'Play'); cancelAnimationFrame(frame); show(audio.currentTime); });
  audio.addEventListener('ended', () => { screen.dataset.ended = 'true'; });
  audio.addEventListener('seeked', () => show(audio.currentTime));
  play.addEventListener('click', () => toggle());

  function toggle() {
    if (play.disabled) return;
    if (audio.paused) audio.play().catch((error) => showError(error, 'Playback failed'));
    else audio.pause();
  }

  function jump(direction) {
    const now = audio.currentTime;
    const target = direction > 0
      ? sceneStarts.find((scene) => scene.start > now + 0.05)
      : [...sceneStarts].reverse().find((scene) => scene.start < now - 0.5);
    audio.currentTime = target ? target.start : direction > 0 ? now : 0;
  }

  function leave() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    navigate(`/projects/${params.id}`);
  }

  const onKey = (event) => {
    if (event.key === ' ') { event.preventDefault(); toggle(); } else if (event.key === 'ArrowRight') { event.preventDefault(); jump(1); } else if (event.key === 'ArrowLeft') { event.preventDefault(); jump(-1); } else if (event.key === 'Escape') leave();
  };
  document.addEventListener('keydown', onKey);
  // Full screen needs a user gesture; the first play gives one.
  play.addEventListener('click', () => { if (!document.fullscreenElement && screen.requestFullscreen) screen.requestFullscreen().catch(() => {}); }, { once: true });
  show(0);

  return () => {
    animatic.stop();
    document.removeEventListener('keydown', onKey);
    cancelAnimationFrame(frame);
    audio.pause();
    for (const url of urls) URL.revokeObjectURL(url);
    for (const pending of sources.values()) pending.then((url) => { if (url.startsWith('blob:')) URL.revokeObjectURL(url); }).catch(() => {});
  };
}
