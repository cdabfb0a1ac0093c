// The timeline: scenes as bands, clips as blocks at their absolute time and length, the
// song's waveform, gaps and overlaps, a playhead. Only what is inside the visible window is
// in the DOM (a 1,000-clip project stays light), redrawn on scroll and zoom.
import { h, formatTime } from '../ui.js';

const MIN_ZOOM = 2;
const MAX_ZOOM = 400;
const EDGE = 8; // px at a block's right end that resize instead of move

export class Timeline {
  constructor({ onSelect, onChange, onSeek }) {
    this.onSelect = onSelect;
    this.onChange = onChange;
    this.onSeek = onSeek;
    this.pps = 20; // pixels per second
    this.clips = [];
    this.scenes = [];
    this.gaps = [];
    this.overlaps = [];
    this.duration = 0;
    this.peaks = null;
    this.selected = null;
    this.playhead = 0;
    this.drag = null;
    this.frame = 0;

    this.canvas = h('canvas', { class: 'waveform', 'aria-hidden': 'true' });
    this.layer = h('div', { class: 'timeline-layer' });
    this.playheadLine = h('div', { class: 'playhead', 'aria-hidden': 'true' });
    this.content = h('div', { class: 'timeline-content' }, this.canvas, this.layer, this.playheadLine);
    this.scroller = h('div', {
      class: 'timeline-scroll', tabindex: '0', role: 'region', 'aria-label': 'Timeline (scroll; Ctrl+wheel to zoom)',
    }, this.content);
    this.zoomLabel = h('span', { class: 'muted zoom-label' });
    this.element = h('section', { class: 'timeline', 'aria-label': 'Timeline' },
      h('div', { class: 'timeline-tools' },
        h('button', { type: 'button', onclick: () => this.zoomBy(1 / 1.5), 'aria-label': 'Zoom out' }, '−'),
        h('button', { type: 'button', onclick: () => this.zoomBy(1.5), 'aria-label': 'Zoom in' }, '+'),
        h('button', { type: 'button', onclick: () => this.fit() }, 'Fit'),
        this.zoomLabel),
      this.scroller);

    this.scroller.addEventListener('scroll', () => this.schedule());
    this.scroller.addEventListener('wheel', (event) => {
      if (!event.ctrlKey) return;
      event.preventDefault();
      this.zoomBy(event.deltaY < 0 ? 1.25 : 0.8, event.clientX);
    }, { passive: false });
    this.layer.addEventListener('pointerdown', (event) => this.pointerDown(event));
    // Enter or Space on a focused block selects it (a pointer click does the same).
    this.layer.addEventListener('keydown', (event) => {
      const node = event.target.closest && event.target.closest('.clip-block');
      if (!node || (event.key !== 'Enter' && event.key !== ' ')) return;
      event.preventDefault();
      event.stopPropagation();
      this.onSelect(node.dataset.clipId);
    });
    this.content.addEventListener('click', (event) => {
      if (event.target === this.content || event.target === this.canvas || event.target === this.layer) {
        this.onSeek(this.timeAt(event.clientX));
      }
    });
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(this.scroller);
  }

  destroy() {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
  }

  /** `clips`: [{id, name, start, end, scene_id, version}]; `scenes`: [{id, name, index}]. */
  setData({ clips, scenes, gaps, overlaps, duration }) {
    this.clips = [...clips].sort((a, b) => a.start - b.start);
    this.scenes = scenes;
    this.gaps = gaps || [];
    this.overlaps = overlaps || [];
    this.overlapping = new Set(this.overlaps.flatMap((overlap) => [overlap.clip_id, overlap.other_clip_id]));
    const end = this.clips.reduce((max, clip) => Math.max(max, clip.end), 0);
    this.duration = Math.max(duration || 0, end, 10);
    // Band of each scene: from its first clip's start to its last clip's end.
    const bands = new Map();
    for (const clip of this.clips) {
      const band = bands.get(clip.scene_id) || { start: Infinity, end: 0 };
      band.start = Math.min(band.start, clip.start);
      band.end = Math.max(band.end, clip.end);
      bands.set(clip.scene_id, band);
    }
    this.bands = scenes.filter((scene) => bands.has(scene.id)).map((scene) => ({ ...scene, ...bands.get(scene.id) }))
      .sort((a, b) => a.start - b.start);
    // Prefix maximum of the ends, so a binary search on starts finds the first visible clip.
    this.maxEnd = [];
    let running = 0;
    for (const clip of this.clips) { running = Math.max(running, clip.end); this.maxEnd.push(running); }
    this.schedule();
  }

  setPeaks(peaks, perSecond) { this.peaks = peaks; this.peaksPerSecond = perSecond; this.schedule(); }

  setPlayhead(seconds, follow) {
    this.playhead = seconds;
    this.playheadLine.style.transform = `translateX(${seconds * this.pps}px)`;
    if (follow) {
      const x = seconds * this.pps;
      const { scrollLeft, clientWidth } = this.scroller;
      if (x < scrollLeft || x > scrollLeft + clientWidth - 40) this.scroller.scrollLeft = Math.max(0, x - clientWidth * 0.2);
    }
  }

  select(id) {
    this.selected = id;
    this.schedule();
  }

  reveal(id) {
    const clip = this.clips.find((item) => item.id === id);
    if (!clip) return;
    const x = clip.start * this.pps;
    const { scrollLeft, clientWidth } = this.scroller;
    if (x < scrollLeft || x + 20 > scrollLeft + clientWidth) this.scroller.scrollLeft = Math.max(0, x - clientWidth * 0.3);
  }

  zoomBy(factor, clientX) {
    const rect = this.scroller.getBoundingClientRect();
    const anchorX = clientX === undefined ? rect.width / 2 : clientX - rect.left;
    const anchorTime = (this.scroller.scrollLeft + anchorX) / this.pps;
    this.pps = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.pps * factor));
    this.drawNow();
    this.scroller.scrollLeft = anchorTime * this.pps - anchorX;
    this.schedule();
  }

  /** The whole song (or the clips, if longer) in view. */
  fit() {
    const width = this.scroller.clientWidth || 800;
    this.pps = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, (width - 20) / Math.max(1, this.duration)));
    this.drawNow();
    this.scroller.scrollLeft = 0;
    this.schedule();
  }

  timeAt(clientX) {
    const rect = this.scroller.getBoundingClientRect();
    return Math.max(0, (clientX - rect.left + this.scroller.scrollLeft) / this.pps);
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.drawNow(); });
  }

  /** Index of the first clip that may reach into `[from, …)`. */
  firstVisible(from) {
    let low = 0;
    let high = this.clips.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.maxEnd[mid] < from) low = mid + 1; else high = mid;
    }
    return low;
  }

  drawNow() {
    const width = this.scroller.clientWidth;
    const left = this.scroller.scrollLeft;
    const from = left / this.pps;
    const to = (left + width) / this.pps;
    this.content.style.width = `${Math.ceil(this.duration * this.pps) + 40}px`;
    this.zoomLabel.textContent = `${formatTime(from)} – ${formatTime(to)}`;
    this.playheadLine.style.transform = `translateX(${this.playhead * this.pps}px)`;

    const nodes = [];
    for (const band of this.bands) {
      if (band.end < from || band.start > to) continue;
      nodes.push(this.block('scene-band', band.start, band.end, `${band.index + 1}. ${band.name}`, { sceneId: band.id }));
    }
    for (const gap of this.gaps) {
      if (gap.end < from || gap.start > to) continue;
      nodes.push(this.block('gap', gap.start, gap.end, `gap ${gap.duration.toFixed(1)} s`, {}));
    }
    for (const overlap of this.overlaps) {
      if (overlap.end < from || overlap.start > to) continue;
      nodes.push(this.block('overlap', overlap.start, overlap.end, '', {}));
    }
    for (let index = this.firstVisible(from); index < this.clips.length; index += 1) {
      const clip = this.clips[index];
      if (clip.start > to) break;
      if (clip.end < from) continue;
      let start = clip.start;
      let end = clip.end;
      if (this.drag && this.drag.id === clip.id) { start = this.drag.start; end = this.drag.end; }
      const classes = ['clip-block'];
      if (clip.id === this.selected) classes.push('selected');
      if (this.overlapping.has(clip.id)) classes.push('overlapping');
      if (clip.status) classes.push(`job-${clip.status}`);
      const node = this.block(classes.join(' '), start, end, clip.name, { clipId: clip.id });
      node.setAttribute('role', 'button');
      node.setAttribute('tabindex', '0');
      node.setAttribute('aria-pressed', clip.id === this.selected ? 'true' : 'false');
      node.setAttribute('aria-label', `${clip.name}, ${formatTime(start)} to ${formatTime(end)}`);
      node.title = `${clip.name} · ${formatTime(start)}–${formatTime(end)}`;
      if (clip.status) node.append(h('span', { class: 'clip-status' }, clip.statusText || clip.status));
      node.append(h('span', { class: 'resize-handle', 'aria-hidden': 'true' }));
      nodes.push(node);
    }
    // Redraws replace the blocks: the one that had the focus gets it back.
    const focused = this.layer.contains(document.activeElement) ? document.activeElement.dataset.clipId : null;
    this.layer.replaceChildren(...nodes);
    if (focused) {
      const again = [...this.layer.children].find((node) => node.dataset.clipId === focused);
      if (again) again.focus({ preventScroll: true });
    }
    this.drawWaveform(left, width, from);
  }

  block(className, start, end, label, dataset) {
    const node = h('div', { class: className, dataset }, label ? h('span', { class: 'label' }, label) : null);
    node.style.transform = `translateX(${start * this.pps}px)`;
    node.style.width = `${Math.max(2, (end - start) * this.pps)}px`;
    return node;
  }

  drawWaveform(left, width, from) {
    const ratio = window.devicePixelRatio || 1;
    const height = this.canvas.clientHeight || 60;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    this.canvas.style.width = `${width}px`;
    this.canvas.style.transform = `translateX(${left}px)`;
    const context = this.canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, width, height);
    // Second ticks, denser when zoomed in.
    const step = [1, 2, 5, 10, 15, 30, 60, 120, 300].find((seconds) => seconds * this.pps >= 60) || 600;
    context.fillStyle = '#8a93a6';
    context.font = '10px system-ui, sans-serif';
    for (let t = Math.floor(from / step) * step; t * this.pps < left + width; t += step) {
      const x = t * this.pps - left;
      context.fillRect(x, 0, 1, 6);
      context.fillText(formatTime(t).replace(/\.0$/, ''), x + 3, 10);
    }
    if (!this.peaks) return;
    context.fillStyle = '#5b7cfa';
    const middle = height / 2 + 6;
    const scale = height / 2 - 8;
    for (let x = 0; x < width; x += 1) {
      const t0 = (left + x) / this.pps;
      const t1 = (left + x + 1) / this.pps;
      const i0 = Math.floor(t0 * this.peaksPerSecond);
      const i1 = Math.max(i0 + 1, Math.floor(t1 * this.peaksPerSecond));
      if (i0 >= this.peaks.length) break;
      let peak = 0;
      for (let i = i0; i < i1 && i < this.peaks.length; i += 1) peak = Math.max(peak, this.peaks[i]);
      const bar = Math.max(1, peak * scale);
      context.fillRect(x, middle - bar, 1, bar * 2);
    }
  }

  pointerDown(event) {
    const node = event.target.closest('.clip-block');
    if (!node || event.button !== 0) return;
    const clip = this.clips.find((item) => item.id === node.dataset.clipId);
    if (!clip) return;
    event.preventDefault();
    const rect = node.getBoundingClientRect();
    const resizing = event.clientX > rect.right - EDGE;
    const originX = event.clientX;
    this.drag = { id: clip.id, start: clip.start, end: clip.end, moved: false };
    // Listeners on window, not the block: redraws replace the block while it is dragged.
    const move = (moveEvent) => {
      const delta = (moveEvent.clientX - originX) / this.pps;
      if (Math.abs(moveEvent.clientX - originX) > 3) this.drag.moved = true;
      if (resizing) {
        this.drag.end = Math.max(clip.start + 0.1, round(clip.end + delta));
      } else {
        this.drag.start = Math.max(0, round(clip.start + delta));
        this.drag.end = this.drag.start + (clip.end - clip.start);
      }
      this.schedule();
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
      const drag = this.drag;
      this.drag = null;
      if (!drag.moved) {
        this.onSelect(clip.id);
        this.schedule();
        return;
      }
      this.schedule();
      if (resizing) this.onChange(clip, clip.start, round(drag.end - clip.start));
      else this.onChange(clip, drag.start, null);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
    window.addEventListener('pointercancel', up);
  }
}

function round(seconds) { return Math.round(seconds * 100) / 100; }
