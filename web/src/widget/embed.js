// ringcast chat widget embed. Add one line to any page:
//   <script src="https://YOUR-RINGCAST/widget.js" async></script>
// Options (attributes of that script tag):
//   data-token="JWT"    a customer token from your app (otherwise the visitor gets a session of their own)
//   data-name="Dana"    without a token: the visitor's name, shown to staff
//   data-open="true"    start with the chat open
//   data-label="Chat"   the launcher's accessible name
(() => {
  const script = document.currentScript;
  if (!script || window.ringcastEmbed) return;
  const origin = new URL(script.src, location.href).origin;
  const token = script.dataset.token;
  const css = `
    .ringcast-launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border-radius: 50%;
      border: 0; background: #3b5bdb; color: #fff; cursor: pointer; box-shadow: 0 6px 20px rgb(16 24 40 / 25%);
      display: flex; align-items: center; justify-content: center; z-index: 2147483646; }
    .ringcast-launcher:focus-visible { outline: 3px solid #91a7ff; outline-offset: 2px; }
    .ringcast-launcher svg { width: 26px; height: 26px; }
    .ringcast-badge { position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 5px;
      border-radius: 10px; background: #e03131; color: #fff; font: 700 12px/20px system-ui, sans-serif; }
    .ringcast-frame { position: fixed; right: 20px; bottom: 88px; width: 380px; height: min(600px, calc(100vh - 110px));
      border: 0; border-radius: 16px; box-shadow: 0 12px 40px rgb(16 24 40 / 25%); background: #fff;
      z-index: 2147483647; }
    @media (max-width: 480px) { .ringcast-frame { right: 0; bottom: 0; width: 100vw; height: 100vh; border-radius: 0; } }`;
  const style = document.createElement('style');
  style.textContent = css;
  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.className = 'ringcast-launcher';
  launcher.setAttribute('aria-label', script.dataset.label || 'Chat with us');
  launcher.setAttribute('aria-expanded', 'false');
  const chatIcon = 'M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z';
  const closeIcon = 'M6 6l12 12M18 6L6 18';
  launcher.innerHTML = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" ' +
    `stroke-linejoin="round" aria-hidden="true"><path d="${chatIcon}"/></svg>`;
  const badge = document.createElement('span');
  badge.className = 'ringcast-badge';
  badge.hidden = true;
  launcher.append(badge);
  const frame = document.createElement('iframe');
  frame.className = 'ringcast-frame';
  frame.title = 'Chat with support';
  frame.hidden = true;
  const name = script.dataset.name ? `&name=${encodeURIComponent(script.dataset.name)}` : '';
  frame.src = `${origin}/widget?embed=1${name}${token ? `#token=${encodeURIComponent(token)}` : ''}`;

  let open = false;
  const tell = () => frame.contentWindow?.postMessage({ source: 'ringcast-embed', open }, origin);
  function toggle(next = !open) {
    open = next;
    frame.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    launcher.querySelector('path').setAttribute('d', open ? closeIcon : chatIcon);
    if (open) badge.hidden = true;
    tell();
  }
  launcher.addEventListener('click', () => toggle());
  frame.addEventListener('load', tell);
  addEventListener('message', (e) => {
    if (e.origin !== origin || e.data?.source !== 'ringcast-widget') return;
    if (e.data.type === 'unread' && !open) {
      badge.textContent = String(e.data.count);
      badge.hidden = !(e.data.count > 0);
    }
  });
  const mount = () => {
    document.head.append(style);
    document.body.append(frame, launcher);
    if (script.dataset.open === 'true') toggle(true);
  };
  if (document.body) mount();
  else addEventListener('DOMContentLoaded', mount);
  window.ringcastEmbed = { open: () => toggle(true), close: () => toggle(false) };
})();
