// Channel icons (24x24 line drawings in currentColor), drawn for ringcast.
import { fromMarkup } from './dom.js';

const paths = {
  website: '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.5 2.5 3.8 5.5 3.8 9s-1.3 6.5-3.8 9c-2.5-2.5-3.8-5.5-3.8-9S9.5 5.5 12 3z"/>',
  whatsapp: '<path d="M4 20l1.3-4A8 8 0 1 1 8.5 19z"/><path d="M9 9.5c.3 2.5 2.5 4.7 5 5l1.2-1.2-1.8-1-1 .8c-.9-.4-1.6-1.1-2-2l.8-1-1-1.8z"/>',
  sms: '<rect x="3" y="4" width="18" height="13" rx="3"/><path d="M8 17l-2 3.5L11 17M8 10.5h.01M12 10.5h.01M16 10.5h.01"/>',
  instagram: '<rect x="3.5" y="3.5" width="17" height="17" rx="5"/><circle cx="12" cy="12" r="4"/><path d="M17 7h.01"/>',
  email: '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3.5 6l8.5 7 8.5-7"/>',
};

export function channelIcon(channel) {
  const svg = fromMarkup(`<svg class="channel-icon" viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor"
    stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" role="img"><title></title>${Object.hasOwn(paths, channel) ? paths[channel] : paths.website}</svg>`);
  // The name comes from the server: set as text, never as markup.
  svg.setAttribute('aria-label', channel);
  svg.querySelector('title').textContent = channel;
  return svg;
}
