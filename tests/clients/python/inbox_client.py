#!/usr/bin/python3
"""The inbox's main flow from a second client library: Debian's python3-socketio 5.x.

Usage: inbox_client.py URL CUSTOMER_TOKEN

Connects as a customer (auth={'token': ...}; polling, then the upgrade to WebSocket), creates a
conversation with a first message, prints "created <id>" and waits for the staff member's
message:new (sent by the Node test once it reads that line), sends messages and checks each ack,
retries one with the same clientId, sends bad input, reads the history, prints "ok" and exits 0.
Any mismatch prints "FAIL: ..." on stderr and exits 1.
"""
import re
import sys
import threading

import socketio

TIMEOUT = 10
STAFF_TEXT = 'Hello from the staff'  # what the Node test's staff socket sends


class Mismatch(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Mismatch(what)


def say(line):
    print(line, flush=True)


def main(url, token):
    # A bad token is refused at connect time with a CONNECT_ERROR. (Not connect(wait=True): this
    # client version then waits out wait_timeout even after the CONNECT_ERROR came.)
    intruder = socketio.Client(reconnection=False)
    refusal = []
    refused = threading.Event()

    @intruder.on('connect_error')
    def on_connect_error(data=None):
        refusal.append(data)
        refused.set()

    intruder.connect(url, auth={'token': 'not.a.token'}, wait=False)
    check(refused.wait(TIMEOUT), 'a bad token got no connect_error')
    check(isinstance(refusal[0], dict) and refusal[0].get('message') == 'unauthorized', f'connect_error {refusal[0]!r}')
    intruder.disconnect()

    sio = socketio.Client(reconnection=False)
    received = []
    staff_message = threading.Event()

    # Broadcasts carry a connection-state-recovery offset as their last argument.
    @sio.on('message:new')
    def on_message(m, *offset):
        received.append(m)
        if m.get('senderType') == 'staff':
            staff_message.set()

    sio.connect(url, auth={'token': token}, wait_timeout=TIMEOUT)
    check(sio.connected, 'not connected')
    # This client opens with polling and upgrades before connect() returns.
    check(sio.transport() == 'websocket', f'transport {sio.transport()} after connect')

    def call(event, data):
        return sio.call(event, data, timeout=TIMEOUT)

    created = call('conversation:create', {'subject': 'From Python', 'content': 'first from python', 'clientId': 'py-0'})
    check('error' not in created, f'conversation:create failed: {created}')
    conversation = created['conversation']
    check(re.fullmatch(r'[0-9a-f-]{36}', conversation['id']), f'conversation id {conversation["id"]!r}')
    check(conversation['customerId'] == 'py-cus', f'customerId {conversation["customerId"]!r}')
    check(conversation['status'] == 'open', f'status {conversation["status"]!r}')
    first = created['message']
    check(first['seq'] == 1 and first['content'] == 'first from python' and first['clientId'] == 'py-0',
          f'first message {first}')
    conversation_id = conversation['id']
    say(f'created {conversation_id}')

    # The creator is joined: the staff member's reply arrives as message:new.
    check(staff_message.wait(TIMEOUT), 'no message:new from the staff')
    reply = received[0]
    check(reply['conversationId'] == conversation_id, f'message:new for {reply["conversationId"]}')
    check(reply['senderId'] == 'py-agent' and reply['content'] == STAFF_TEXT and reply['seq'] == 2,
          f'staff message {reply}')
    say('got staff message')

    acks = []
    for i in range(1, 6):
        ack = call('message:send', {'conversationId': conversation_id, 'content': f'python {i}', 'clientId': f'py-{i}'})
        check('error' not in ack, f'message:send py-{i} failed: {ack}')
        check(ack['seq'] == i + 2 and ack['duplicate'] is False and ack['clientId'] == f'py-{i}'
              and ack['content'] == f'python {i}' and ack['senderType'] == 'customer',
              f'ack of py-{i}: {ack}')
        acks.append(ack)
    say('sent ' + ' '.join(str(a['seq']) for a in acks))

    again = call('message:send', {'conversationId': conversation_id, 'content': 'changed', 'clientId': 'py-3'})
    check(again.get('duplicate') is True and again['id'] == acks[2]['id'] and again['content'] == 'python 3',
          f'retry of py-3: {again}')

    bad = call('message:send', {'conversationId': conversation_id, 'content': 42, 'clientId': 'py-bad'})
    check(bad.get('error', {}).get('code') == 'bad_request' and bad['error']['retryable'] is False,
          f'bad input: {bad}')

    check(call('typing:start', {'conversationId': conversation_id}) == {}, 'typing:start not acked with {}')

    history = call('message:history', {'conversationId': conversation_id})
    seqs = [m['seq'] for m in history['messages']]
    check(seqs == list(range(1, 8)), f'history seqs {seqs}')
    check(history['more'] is False, 'history says more')

    # Never its own messages: only the staff member's one arrived.
    check([m['seq'] for m in received] == [2], f'message:new received {[m["seq"] for m in received]}')
    sio.disconnect()
    say('ok')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        main(sys.argv[1], sys.argv[2])
    except (Mismatch, socketio.exceptions.SocketIOError, KeyError, TypeError) as e:
        print(f'FAIL: {type(e).__name__}: {e}', file=sys.stderr, flush=True)
        sys.exit(1)
