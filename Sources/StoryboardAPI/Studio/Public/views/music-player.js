// The project's song: a drop zone that is also a file picker, the upload's progress bar, the
// player (play/pause and a clock) and the waveform's peaks, decoded in the browser.
import { upload, mediaBytes } from '../api.js';
import { h, toast, showError, formatTime } from '../ui.js';

export class MusicPlayer {
  /**
   * `musicURL()`: the project's song URL now (none without a song). `onUploaded()`: a new song
   * was stored; the page reloads the project. `onPeaks(peaks, perSecond)`: the waveform.
   * `onTime(seconds, playing)`: where the playhead is now.
   */
  constructor({ projectId, musicURL, onUploaded, onPeaks, onTime }) {
    this.projectId = projectId;
    this.musicURL = musicURL;
    this.onUploaded = onUploaded;
    this.onPeaks = onPeaks;
    this.onTime = onTime;
    this.audio = null;
    this.audioURL = null;

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
    this.element = h('section', { class: 'music', 'aria-label': 'Music' }, this.playButton, this.clock, this.musicInfo, this.dropZone, this.fileInput, this.progress);
  }

  destroy() {
    if (this.audio) this.audio.pause();
    cancelAnimationFrame(this.playFrame);
    if (this.audioURL && this.audioURL.startsWith('blob:')) URL.revokeObjectURL(this.audioURL);
  }

  /** Whether a song is loaded in the player. */
  get hasSong() { return Boolean(this.audio); }

  showDuration(duration) {
    this.musicInfo.textContent = duration ? `Song: ${formatTime(duration)}` : 'No song yet';
  }

  async uploadMusic(file) {
    this.progress.hidden = false;
    this.progress.value = 0;
    try {
      await upload('PUT', `/projects/${this.projectId}/music`, file, (fraction) => { this.progress.value = fraction; });
      this.progress.value = 1;
      toast(`“${file.name}” is the song now.`);
      await this.onUploaded();
      await this.load();
    } catch (error) {
      showError(error, 'The song was not uploaded');
    } finally {
      this.progress.hidden = true;
    }
  }

  /** Loads the project's song into the player and reports its waveform. */
  async load() {
    const musicURL = this.musicURL();
    if (!musicURL) return;
    try {
      const bytes = await mediaBytes(musicURL);
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
      this.onPeaks(peaks, perSecond);
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
    this.onTime(seconds, false);
    this.clock.textContent = formatTime(seconds);
  }

  showTime() {
    const now = this.audio.currentTime;
    this.clock.textContent = formatTime(now);
    this.onTime(now, !this.audio.paused);
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
}
