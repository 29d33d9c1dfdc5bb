// The customer chat (/widget): starts the conversation with the first message, shows the AI's
// and staff's replies, typing and read ticks, and comes back to the same conversation after a
// reload. Inside /widget.js's iframe it tells the host page the unread count.
import { Composer } from '../shared/composer.js';
import { connect, InboxError, stateLabels } from '../shared/connection.js';
import { Thread, TypingIndicator } from '../shared/thread.js';
import { currentSession, forgetSession, saveSession } from './session.js';

const $ = (id) => document.getElementById(id);
const embedded = new URLSearchParams(location.search).has('embed');
if (embedded) document.documentElement.classList.add('embedded');
let open = !embedded; // inside the embed, the host says when the panel shows

function notice(text) {
  $('notice').hidden = !text;
  $('notice').textContent = text ?? '';
}

function tellHost(message) {
  if (embedded) parent.postMessage({ source: 'ringcast-widget', ...message }, '*');
}

async function main() {
  let session;
  try {
    session = await currentSession();
  } catch (e) {
    $('conn').dataset.state = 'offline';
    $('conn').textContent = 'Unavailable';
    console.warn('ringcast widget:', e.message);
    return notice('Sorry, the chat is not available right now. Please try again later.');
  }
  let first = true;
  const conn = connect(session.token, {
    onState: (state) => {
      $('conn').dataset.state = state;
      $('conn').textContent = stateLabels[state];
      composer.enable(state !== 'signed-out');
      if (state === 'signed-out') {
        // The visitor token was refused (expired): the next load starts a new visitor session.
        forgetSession();
        notice('Your chat session ended. Reload the page to start a new one.');
      }
    },
    onConnect: async ({ recovered }) => {
      const wasFirst = first;
      first = false;
      if (!session.conversationId) return;
      try {
        if (wasFirst) await openConversation();
        else if (!recovered) await thread.catchUp();
      } catch (e) {
        if (e.code === 'not_found' || e.code === 'forbidden') restart();
        else notice('Your conversation could not be loaded. Reload the page to try again.');
      }
    },
  });
  const { socket, call } = conn;

  const markSeen = (seq) => {
    if (!session.conversationId) return;
    const visible = open && document.visibilityState === 'visible';
    const event = visible ? 'message:read' : 'message:delivered';
    call(event, { conversationId: session.conversationId, seq }).catch(() => {});
  };
  const thread = new Thread({
    call,
    list: $('messages'),
    scroller: $('thread-scroll'),
    ours: (m) => m.senderType === 'customer' || m.senderType === 'me',
    reader: 'staff',
    announce: (text) => {
      $('live').textContent = text;
    },
    onRead: markSeen,
  });
  const typing = new TypingIndicator($('typing'));

  async function openConversation() {
    const ack = await thread.open(session.conversationId);
    for (const t of ack.typing ?? []) typing.update({ ...t, isTyping: true });
    $('greeting').hidden = ack.messages.length > 0;
    if (thread.maxSeq > ack.lastReadSeq) markSeen(thread.maxSeq);
  }

  function restart() {
    session.conversationId = null;
    saveSession(session);
    thread.reset(null);
    $('greeting').hidden = false;
  }

  // The first message creates the conversation; a retry after that is an ordinary send.
  async function create(content, clientId) {
    if (session.conversationId) {
      return call('message:send', { conversationId: session.conversationId, content, clientId });
    }
    const ack = await call('conversation:create', { content, clientId });
    session.conversationId = ack.conversation.id;
    saveSession(session);
    thread.conversationId = ack.conversation.id;
    if (ack.error) throw new InboxError('conversation:create', ack.error);
    return ack.message;
  }

  const composer = new Composer($('composer'), {
    call,
    conversationId: () => session.conversationId,
    onSend: (content) => {
      $('greeting').hidden = true;
      notice(null);
      thread.send(content, session.conversationId ? undefined : create);
    },
  });
  composer.enable(true);

  socket.on('message:new', (m) => thread.add(m));
  // After a reload the ticks start from the join's readMarks (thread.js).
  socket.on('message:status', (s) => thread.status(s));
  socket.on('typing', (t) => {
    if (t.conversationId === session.conversationId) typing.update(t);
  });
  socket.on('unread', (u) => tellHost({ type: 'unread', count: u.total }));
  addEventListener('message', (e) => {
    if (e.source !== parent || e.data?.source !== 'ringcast-embed') return;
    open = !!e.data.open;
    if (open && thread.maxSeq) markSeen(thread.maxSeq);
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && thread.maxSeq) markSeen(thread.maxSeq);
  });
  window.ringcastWidget = { socket, thread, session };
}

main();
