// The staff inbox page: sign-in, the connection and its indicator, and the wiring of the feed's
// events to the conversation list and the open conversation.
import { connect, stateLabels } from '../shared/connection.js';
import { claims, devLogin, devLoginAvailable, forgetStaffToken, saveStaffToken, staffToken } from '../shared/token.js';
import { ConversationList } from './list.js';
import { ConversationView } from './view.js';

const $ = (id) => document.getElementById(id);

async function showSignIn(reason) {
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = reason ?? '';
  if (await devLoginAvailable()) {
    $('signin-form').hidden = false;
    $('signin-name').focus();
  } else {
    $('signin-text').innerHTML = 'Open this page with a staff token in its address, <code>/#token=…</code>. ' +
      'Make one with the server\'s secret:<pre>ringcast token --role staff --sub you --name You</pre>' +
      'or start the server with <code>--dev-login</code> to sign in here (development only).';
  }
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    saveStaffToken(await devLogin($('signin-name').value.trim()));
    location.reload();
  } catch (err) {
    $('signin-error').textContent = err.message;
  }
});

function start(token) {
  const me = claims(token);
  $('signin').hidden = true;
  $('app').hidden = false;
  $('me').textContent = me.name ?? me.sub;
  const names = new Map();     // customerId -> name, from their messages
  const presence = new Map();  // role:sub -> presence event
  const live = $('live');
  const announce = (text) => {
    live.textContent = text;
  };
  let first = true;
  const conn = connect(token, {
    onState: (state, code) => {
      const el = $('conn');
      el.dataset.state = state;
      el.textContent = stateLabels[state];
      if (state === 'signed-out') {
        forgetStaffToken();
        conn.socket.close();
        showSignIn(code === 'token_expired' ? 'Your session expired: sign in again.' : 'The server refused this token.');
      }
    },
    onConnect: ({ recovered }) => {
      // A recovered socket is still joined and gets what it missed; a new one catches up itself.
      if (first || !recovered) {
        list.reload();
        if (!first) view.catchUp();
      }
      first = false;
    },
  });
  const { socket, call } = conn;
  const list = new ConversationList({
    call, names, me: me.sub,
    ul: $('conversations'), scroller: $('list-scroll'), empty: $('list-empty'), more: $('list-more'),
    onOpen: (c) => {
      list.select(c.id);
      view.open(c);
    },
  });
  const view = new ConversationView({ call, me: me.sub, names, presence, list, announce });

  socket.on('conversation:new', (c) => list.upsert(c));
  socket.on('conversation:updated', (c) => {
    list.upsert(c);
    view.updated(c);
  });
  socket.on('message:new', (m) => {
    list.message(m);
    view.message(m);
  });
  socket.on('unread', (u) => {
    if (u.conversationId !== view.conv?.id) list.setUnread(u.conversationId, u.count);
  });
  socket.on('typing', (t) => view.typingEvent(t));
  socket.on('message:status', (s) => view.status(s));
  socket.on('presence', (p) => {
    presence.set(`${p.userType}:${p.userId}`, p);
    view.showPresence();
  });

  // Status tabs: arrow keys move between them (the WAI-ARIA tabs pattern).
  const tabs = [...document.querySelectorAll('[role=tab]')];
  const choose = (tab) => {
    for (const t of tabs) {
      t.setAttribute('aria-selected', String(t === tab));
      t.tabIndex = t === tab ? 0 : -1;
    }
    list.show(tab.dataset.status);
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => choose(tab));
    tab.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      next.focus();
      choose(next);
    });
  });
  // Escape in the conversation goes back to its row in the list (and, on a phone, to the list).
  $('conversation').addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !view.conv) return;
    $('app').classList.remove('conversation-open');
    document.querySelector(`#conversations li[data-id="${view.conv.id}"] button`)?.focus();
  });
  $('signout').addEventListener('click', () => {
    forgetStaffToken();
    socket.close();
    location.reload();
  });
  // For tests and the curious: the page's state.
  window.ringcastInbox = { socket, list, view };
}

const token = staffToken();
if (token) start(token);
else showSignIn();
