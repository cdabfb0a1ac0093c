// The shell: routes the URL to a view, keeps links client-side, asks for the API token.
import { onTokenNeeded } from './api.js';
import { h, clear, dialog, navigate } from './ui.js';
import * as projects from './views/projects.js';
import * as project from './views/project.js';
import * as trash from './views/trash.js';
import * as queue from './views/queue.js';
import * as servers from './views/servers.js';
import * as characters from './views/characters.js';
import * as styles from './views/styles.js';
import * as present from './views/present.js';

const routes = [
  { pattern: /^\/(?:projects\/?)?$/, view: projects, title: 'Projects' },
  { pattern: /^\/projects\/([^/]+)\/clips\/([^/]+)$/, view: project, title: 'Project', params: ['id', 'clipId'] },
  { pattern: /^\/projects\/([^/]+)$/, view: project, title: 'Project', params: ['id'] },
  { pattern: /^\/projects\/([^/]+)\/characters$/, view: characters, title: 'Characters', params: ['id'] },
  { pattern: /^\/projects\/([^/]+)\/present$/, view: present, title: 'Presentation', params: ['id'] },
  { pattern: /^\/styles$/, view: styles, title: 'Style templates' },
  { pattern: /^\/trash$/, view: trash, title: 'Trash' },
  { pattern: /^\/queue$/, view: queue, title: 'Queue' },
  { pattern: /^\/servers$/, view: servers, title: 'Servers' },
  { pattern: /^\/models$/, view: { render: (root) => { clear(root, h('h1', {}, 'Models'), h('p', {}, 'The model inventory view comes with the model inventory routes; this build has none yet.')); } }, title: 'Models' },
];

const main = document.getElementById('main');
let current = null; // {view, cleanup, key}

function match(path) {
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    const params = {};
    (route.params || []).forEach((name, index) => { params[name] = decodeURIComponent(found[index + 1]); });
    return { route, params };
  }
  return null;
}

function markNavigation(path) {
  for (const link of document.querySelectorAll('.topbar nav a')) {
    const target = link.getAttribute('href');
    const active = target === '/' ? path === '/' || path.startsWith('/projects') : path.startsWith(target);
    if (active) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
}

async function render() {
  const path = location.pathname;
  markNavigation(path);
  const found = match(path);
  // A view that can follow its own sub-route (a project page selecting a clip) is updated
  // in place instead of rebuilt, so the timeline and the audio keep their state.
  if (found && current && current.view === found.route.view && current.view.update && current.key === found.params.id) {
    current.view.update(found.params);
    return;
  }
  if (current && current.cleanup) current.cleanup();
  current = null;
  if (!found) {
    document.title = 'Not found · Storyboard';
    clear(main, h('h1', {}, 'Not found'), h('p', {}, 'The studio has no page at ', h('code', {}, path), '. ', h('a', { href: '/' }, 'Go to the projects.')));
    return;
  }
  document.title = `${found.route.title} · Storyboard`;
  clear(main);
  const cleanup = await found.route.view.render(main, found.params);
  current = { view: found.route.view, cleanup, key: found.params.id };
}

// Same-origin links are handled here so the page (and its audio) is not reloaded.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download')) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/app/')) return;
  event.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});

window.addEventListener('popstate', render);
window.addEventListener('storyboard:navigate', render);

onTokenNeeded((message) => dialog('API token', (done) => {
  const input = h('input', { name: 'token', type: 'password', autocomplete: 'off', required: true });
  return h('form', { onsubmit: (event) => { event.preventDefault(); done(input.value.trim() || null); } },
    h('p', {}, message),
    h('p', { class: 'muted' }, 'This server needs its API token (STORYBOARD_API_TOKEN). It is kept for this browser tab only.'),
    h('label', {}, 'Token', input),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => done(null) }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary' }, 'Use token')));
}));

render();
