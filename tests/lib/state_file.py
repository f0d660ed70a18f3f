"""Reads foreverd's saved process table (src/core/state_journal.hpp): the
state.journal of CRC-checked JSON lines, batches closed by a commit line.
What a successor would restore: the committed records, in first-written
order; a torn (uncommitted) tail is left out as foreverd cuts it off."""

import json
import os
import zlib


def journal_path(state_dir):
    return os.path.join(state_dir, 'state.journal')


def read_records(state_dir):
    """The live records of STATE_DIR's journal, as {key: record}, in order.
    A checksum that fails before the last commit raises ValueError."""
    with open(journal_path(state_dir), 'rb') as f:
        text = f.read().decode()
    live = {}
    pending = []
    lines = text.split('\n')
    complete = lines[:-1]  # the last piece has no newline: cut short, or ''
    for number, line in enumerate(complete, 1):
        crc, _, body = line.partition(' ')
        if len(crc) != 8 or int(crc, 16) != zlib.crc32(body.encode()):
            pending.append(None)  # bad unless no commit follows (a torn tail)
            continue
        doc = json.loads(body)
        if 'journal' in doc:
            assert doc == {'journal': 'forever-state', 'version': 1}, doc
        elif 'c' in doc:
            if None in pending or len(pending) != doc['c']:
                raise ValueError('%s: corrupt batch before line %d' % (state_dir, number))
            for key, value in pending:
                if value is None:
                    live.pop(key, None)
                else:
                    live[key] = value  # a new key goes last, a known one stays
            pending = []
        else:
            pending.append((doc['k'], None if doc.get('d') else doc['v']))
    return live


def saved_processes(state_dir):
    """The saved records of processes (as processes.json held them: spec,
    state, ...); foreverd's own (a key with a '/', which no uid has, such as
    the mark of a clean exit) left out."""
    return [v for k, v in read_records(state_dir).items() if '/' not in k]


def stopped_cleanly(state_dir):
    """Whether the last foreverd on STATE_DIR wrote its clean-exit mark."""
    return '/clean-exit' in read_records(state_dir)
