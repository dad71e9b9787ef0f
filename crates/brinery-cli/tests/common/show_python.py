# Expected output for crates/brinery-cli/tests/show.rs, from the running CPython.
#
# Usage: python3 show_python.py OUTDIR CORPUSDIR
#
# Prints one section per file, each starting with a header line
#     #### brinery-show <args> <path>
# followed by what `python -m pickle` prints for it: pprint.pprint of every pickle in the
# file, in order. Sections come first for the corpus files written by tests/interop/corpus.py
# (builtin-only files and the standard-library cases), then for hand-written and random cases
# pickled here into OUTDIR, each with the pprint options its <args> give brinery.
import collections
import datetime
import decimal
import fractions
import io
import json
import os
import pickle
import pprint
import sys
import uuid

HEADER = '#### brinery-show '

# Corpus cases that hold only standard-library objects brinery knows.
STDLIB = {
    'complex', 'counter', 'date', 'datetime_fold', 'datetime_naive', 'datetime_named_tz',
    'datetime_offset', 'datetime_shared_tz', 'datetime_utc', 'decimal', 'defaultdict', 'deque',
    'fraction', 'ordereddict', 'ordereddict_self', 'range', 'slice', 'time', 'time_tz',
    'timedelta', 'timezone',
}


def show(path, args='', **options):
    sys.stdout.write('%s%s %s\n' % (HEADER, args, path) if args else '%s%s\n' % (HEADER, path))
    with open(path, 'rb') as f:
        data = f.read()
    stream = io.BytesIO(data)
    try:
        while stream.tell() < len(data):
            pprint.pprint(pickle.load(stream), **options)
    except Exception as e:  # the test reports it as a mismatch
        sys.stdout.write('!!! %s: %s\n' % (type(e).__name__, e))


def corpus(corpus_dir):
    with open(os.path.join(corpus_dir, 'manifest.json')) as f:
        manifest = json.load(f)
    for entry in manifest:
        if entry['builtin_only'] or entry['case'] in STDLIB:
            show(os.path.join(corpus_dir, entry['file']))


def settle(s):
    """Rebuild a set until reloading it gives the same iteration order (as corpus.py does):
    brinery prints a set's items in pickled order where it cannot replay CPython's hashes."""
    for _ in range(20):
        again = type(s)(list(s))
        if [id(x) for x in again] == [id(x) for x in s]:
            return again
        s = again
    raise ValueError('set %r has no stable order' % (s,))


def dag(n):
    leaf = [1, 'x']
    for _ in range(n):
        leaf = [leaf, (leaf,)]
    return leaf


def cases():
    c = []

    def add(name, obj, **options):
        c.append((name, obj, options))

    nested = {
        'name': 'brinery',
        'items': [1, 2.5, None, True, (3, 4), -7, 10 ** 25],
        'map': {'b': [1] * 12, 'a': {'x': (1, 2), 'y': 'why', 'z': ()}},
        'set': {3, 1, 2},
        'fs': frozenset({'q'}),
        'strs': settle({'x', 'y', 'z'}),
        'bytes': b'\x00\x01 some bytes',
        'ba': bytearray(b'mutable bytes here'),
        'one': ('single',),
        'empty': [[], {}, (), set(), frozenset(), '', b''],
    }
    for w in (1, 5, 10, 20, 30, 40, 60, 80, 120, 200):
        add('nested_w%d' % w, nested, width=w)
    add('nested_indent4', nested, width=40, indent=4)
    add('nested_depth2', nested, width=40, depth=2)
    add('nested_depth1', nested, depth=1)
    add('nested_compact', nested, width=30, compact=True)
    add('nested_compact_indent', nested, width=50, compact=True, indent=3)
    add('nested_unsorted', nested, width=40, sort_dicts=False)
    add('numbers_compact', list(range(100)), width=40, compact=True)
    add('numbers_nested_compact', [list(range(30)), 'abc' * 20, [[1, 2], [3, 4]] * 8], width=35,
        compact=True)

    text = 'The quick brown fox jumps over the lazy dog. ' * 5
    multiline = ('line one\nline two is a bit longer than the first one\n\n  indented line\r\n'
                 'last\twith a tab and \'single\' and "double" quotes')
    quotes = "it's " * 30 + 'and "now" ' * 10
    uni = '\xe9' * 50 + ' \u65e5\u672c\u8a9e ' * 10 + '\u2028sep\u3000space\x85next\x0bvt'
    spaces = 'word' + ' ' * 100 + 'end    '
    for w in (1, 10, 20, 40, 80):
        add('text_w%d' % w, text, width=w)
        add('text_nested_w%d' % w, [text, {'key': text}, (text,)], width=w)
        add('multiline_w%d' % w, multiline, width=w)
        add('multiline_nested_w%d' % w, {'m': multiline}, width=w)
        add('quotes_w%d' % w, [quotes], width=w)
        add('unicode_w%d' % w, uni, width=w)
        add('spaces_w%d' % w, [spaces], width=w)
    add('long_word', 'x' * 300)
    add('long_word_nested', ['x' * 300, 'y'])

    raw = bytes(range(256))
    for w in (5, 20, 40, 80):
        add('bytes_w%d' % w, raw, width=w)
        add('bytes_nested_w%d' % w, [raw[:50], {'k': raw[:77]}], width=w)
        add('bytearray_w%d' % w, bytearray(raw[:100]), width=w)
        add('bytearray_nested_w%d' % w, [bytearray(raw[:64])], width=w)
    add('bytes_quotes', [b"'" * 40 + b'"' * 3, b"'" * 60], width=30)
    add('bytes_short', [b'abcd', b'abcde', bytearray(b'ab')], width=5)
    # bytearray's repr escapes ' whatever its quote; bytes' does not
    add('bytearray_quotes', [bytearray(b"it's"), bytearray(b'\'"'), b"it's", bytearray(b"x'" * 30)])

    add('keys_numbers', {3: 'a', 2.5: 'b', -1: 'c', 10 ** 30: 'd', 0.1: 'e', False: 'f',
                         -(10 ** 20): 'g', 1e300: 'h', float('-inf'): 'i'}, width=20)
    add('keys_tuples', {(1, 'b'): 1, (1, 'a'): 2, (0, 'z'): 3, (1,): 4, (): 5, (1, 'a', 0): 6},
        width=20)
    add('keys_str', {'b': 1, 'a': 2, 'B': 3, '\xe9': 4, '': 5, 'aa': 6, '\U0001f600': 7}, width=20)
    add('keys_bytes', {b'b': 1, b'a': 2, b'': 3, b'\xff': 4}, width=10)
    add('keys_mixed_types', {None: 1, 'a': 2, 3: 4, (1,): 5, b'x': 6, 2.5: 7, frozenset(): 8},
        width=20)
    add('keys_fits', {'z': 1, 'a': 2, 3: 'x'})
    add('set_ints', {5, 3, 1, 99, -4, 2 ** 70}, width=10)
    add('set_mixed', [settle({1, 'a', None, (1, 2), 2.5, frozenset({1}), b'b', True, -3})],
        width=20)
    add('set_mixed_fits', settle({1, 'a', None, (5, 2)}))
    add('set_str', settle({'delta', 'alpha', 'charlie', 'bravo'}), width=20)
    add('frozenset_wrapped', frozenset({10, 20, 30, 40, 50}), width=15)
    add('set_collide', [{(1, 2), 3}, {8, 16, 0, 24}, {1.5, 2.5, 0.5}], width=10)
    add('set_of_frozensets', {frozenset({1, 2}), frozenset({1}), frozenset({3})}, width=10)

    rec = [1, 2]
    rec.append(rec)
    rec.append({'back': rec})
    add('recursive_list', rec)
    add('recursive_list_narrow', rec, width=10)
    d = {'a': 1}
    d['self'] = d
    d['list'] = [d, [d]]
    add('recursive_dict', d, width=30)
    od = collections.OrderedDict([('x', 1)])
    od['me'] = od
    add('recursive_ordereddict', [od], width=20)
    dq = collections.deque([1])
    dq.append(dq)
    add('recursive_deque', dq)
    add('recursive_deque_narrow', dq, width=5)
    dd = collections.defaultdict(list)
    dd['me'] = dd
    add('recursive_defaultdict', dd)
    add('recursive_defaultdict_narrow', dd, width=10)

    add('ordereddict', collections.OrderedDict((str(i), [i] * 5) for i in range(5)), width=30)
    add('counter', collections.Counter('abracadabra' * 3 + 'xyzzy'), width=20)
    add('counter_fits', collections.Counter({'b': 2, 'a': 2, 'c': 5}))
    add('deque_wrapped', collections.deque(range(30)), width=20)
    add('deque_maxlen', collections.deque(range(30), maxlen=40), width=20)
    add('defaultdict_wrapped', collections.defaultdict(list, {'a': [1] * 20, 'b': []}), width=30)
    add('defaultdict_none', collections.defaultdict(None, {'k': 'v' * 30}), width=20)
    add('stdlib_narrow', [datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
                          datetime.date(2020, 1, 1), datetime.timedelta(days=-1, seconds=5),
                          decimal.Decimal('3.14'), fractions.Fraction(-6, 4),
                          uuid.UUID(int=2 ** 100), complex(1, -1), range(0, 10, 3),
                          slice(1, None)], width=10)
    add('dates_as_keys', {datetime.date(2024, 1, 2): 1, datetime.date(2023, 5, 6): 2,
                          datetime.date(2023, 5, 5): 3}, width=10)
    add('dag', dag(5))
    add('dag_narrow', dag(4), width=15)
    add('scalars', [float('nan'), float('inf'), -0.0, 1e-7, 123456789.125, 2 ** 64, -(2 ** 63),
                    True, None], width=30)
    add('empty_narrow', [[], {}, (), set(), frozenset(), '', b'', bytearray(),
                         collections.OrderedDict(), collections.deque(),
                         collections.Counter(), collections.defaultdict(int)], width=1)
    add('single_tuple_wrapped', ('x' * 100,), width=40)
    return c


def random_cases(count, seed=2024):
    """Random nested data of every kind brinery prints exactly, with random options. Keys of a
    dict or items of a set are of one orderable kind, or of kinds that differ by type name:
    keys that do not compare and share a type sort by id() in CPython."""
    import random
    rnd = random.Random(seed)
    pieces = ['a', 'b', ' ', ' ', '\n', "'", '"', '\\', '\t', '\xe9', '\u65e5', '\x00', '\x7f',
              '\u2028', '\r\n', 'word ', 'longerword ', '\U0001f600', '\x85', '  ']

    def text():
        return ''.join(rnd.choice(pieces) for _ in range(rnd.choice([0, 1, 3, 10, 30, 100])))

    def scalar():
        r = rnd.random()
        if r < 0.2:
            return rnd.randint(-1000, 1000)
        if r < 0.25:
            return rnd.randint(-2 ** 100, 2 ** 100)
        if r < 0.35:
            return rnd.choice([0.5, -0.0, 1e300, float('inf'), 1.1, 3.0, 123456.789, 1e-7])
        if r < 0.6:
            return text()
        if r < 0.7:
            return bytes(rnd.randrange(256) for _ in range(rnd.choice([0, 3, 5, 20, 60])))
        if r < 0.75:
            return rnd.choice([None, True, False])
        if r < 0.78:
            return complex(rnd.random(), -1)
        if r < 0.8:
            return datetime.datetime(2020, 1, 2, 3, 4, rnd.randint(0, 5), rnd.choice([0, 7]))
        if r < 0.82:
            return decimal.Decimal(rnd.choice(['1.5', '-0', '1E+5', '12.50']))
        if r < 0.84:
            return fractions.Fraction(rnd.randint(-9, 9), rnd.randint(1, 9))
        if r < 0.86:
            return datetime.date(2000, 2, rnd.randint(1, 28))
        if r < 0.88:
            return uuid.UUID(int=rnd.getrandbits(128))
        return rnd.randint(0, 10)

    def key(kind):
        if kind == 0:
            return rnd.randint(-100, 100)
        if kind == 1:
            return text()
        if kind == 2:
            return (rnd.randint(0, 3), text())
        if kind == 3:
            return rnd.choice([1.5, 2, -3, 2 ** 70, 0.25, True])
        if kind == 4:
            return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 4)))
        return rnd.choice([lambda: rnd.randint(-9, 9), lambda: text()[:5], lambda: None,
                           lambda: (rnd.randint(0, 2), rnd.randint(0, 2)), lambda: 2.5,
                           lambda: bytes([rnd.randrange(256)]), lambda: frozenset()])()

    def unique_set(kind, n, make=set):
        for _ in range(20):
            try:
                return settle(make(key(kind) for _ in range(n)))
            except ValueError:
                pass
        return make()

    def obj(d=0):
        r = rnd.random()
        if d > 4 or r < 0.35:
            return scalar()
        n = rnd.choice([0, 1, 2, 3, 5, 8, 15])
        if r < 0.5:
            return [obj(d + 1) for _ in range(n)]
        if r < 0.6:
            return tuple(obj(d + 1) for _ in range(n))
        if r < 0.75:
            kind = rnd.randint(0, 5)
            return {key(kind): obj(d + 1) for _ in range(n)}
        if r < 0.8:
            return unique_set(rnd.randint(0, 5), n)
        if r < 0.83:
            return unique_set(rnd.randint(0, 5), n, frozenset)
        if r < 0.86:
            return collections.OrderedDict((text(), obj(d + 1)) for _ in range(n))
        if r < 0.89:
            return collections.Counter({text(): rnd.randint(0, 3) for _ in range(n)})
        if r < 0.92:
            return collections.deque([obj(d + 1) for _ in range(n)], maxlen=rnd.choice([None, 20]))
        if r < 0.95:
            factory = rnd.choice([list, int, None])
            return collections.defaultdict(factory, {text(): obj(d + 1) for _ in range(n)})
        if r < 0.97:
            return bytearray(rnd.randrange(256) for _ in range(n * 7))
        return range(0, n, rnd.choice([1, 2]))

    out = []
    for i in range(count):
        o = obj()
        if rnd.random() < 0.2:
            shared = obj()
            o = [o, shared, [shared]]
        if rnd.random() < 0.1 and isinstance(o, list):
            o.append(o)
        options = {'width': rnd.choice([1, 5, 10, 20, 40, 60, 80, 120])}
        if rnd.random() < 0.2:
            options['indent'] = rnd.randint(0, 4)
        if rnd.random() < 0.2:
            options['depth'] = rnd.randint(1, 4)
        if rnd.random() < 0.2:
            options['compact'] = True
        if rnd.random() < 0.1:
            options['sort_dicts'] = False
        out.append(('random_%03d' % i, o, options, rnd.randint(0, 5)))
    return out


def main():
    outdir, corpus_dir = sys.argv[1], sys.argv[2]
    corpus(corpus_dir)
    for name, obj, options, protocol in [c + (4,) for c in cases()] + random_cases(200):
        path = os.path.join(outdir, name + '.pkl')
        with open(path, 'wb') as f:
            pickle.dump(obj, f, protocol=protocol)
        args = []
        if 'width' in options:
            args.append('--width %d' % options['width'])
        if 'indent' in options:
            args.append('--indent %d' % options['indent'])
        if 'depth' in options:
            args.append('--depth %d' % options['depth'])
        if options.get('compact'):
            args.append('--compact')
        if options.get('sort_dicts') is False:
            args.append('--no-sort-dicts')
        show(path, ' '.join(args), **options)


main()
