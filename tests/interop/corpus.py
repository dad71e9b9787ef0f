#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Write a corpus of reference pickles made by the running interpreter.

Usage:  python corpus.py OUTDIR

For every case below and every protocol from 0 to pickle.HIGHEST_PROTOCOL
this writes OUTDIR/<case>.p<N>.pkl, then OUTDIR/manifest.json describing
every file written.  The pickles come from the interpreter's C pickler
(``pickle`` on Python 3, ``cPickle`` on Python 2).

The classes used by the instance cases live at module level so that the
checker (check.py, same directory) can import this file as ``corpus`` and
load the pickles back.  When run as a script the file imports itself under
that name, so pickled classes are recorded as ``corpus.<Name>`` rather than
``__main__.<Name>``.

Runs unchanged on Python 2.7 and Python 3.6+, standard library only.
"""
from __future__ import print_function

import collections
import datetime
import decimal
import fractions
import json
import os
import sys
import types
import uuid

PY2 = sys.version_info[0] == 2

if PY2:
    import cPickle as pickle  # the C pickler on Python 2
    text_type = unicode  # noqa: F821 (Python 2 only)
    int_types = (int, long)  # noqa: F821 (Python 2 only)
else:
    import pickle
    text_type = str
    int_types = (int,)

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------
# Classes used by the instance cases.  Keep them importable as corpus.<Name>.
# ---------------------------------------------------------------------------

class Plain(object):
    """Ordinary class whose state is its __dict__."""

    def __init__(self, a=None, b=None):
        self.a = a
        self.b = b


class Slotted(object):
    """Class with __slots__ and no __dict__ (needs protocol 2+)."""
    __slots__ = ('x', 'y', 'unset')

    def __init__(self, x=None, y=None):
        self.x = x
        self.y = y


class SlottedWithDict(object):
    """Class with both __slots__ and a __dict__."""
    __slots__ = ('s', '__dict__')

    def __init__(self, s=None):
        self.s = s


class ReduceState(object):
    """__reduce__ returns (class, args, state); default state handling."""

    def __init__(self, a, b=None):
        self.a = a
        self.b = b

    def __reduce__(self):
        return (ReduceState, (self.a,), {'b': self.b})


class ReduceSetState(object):
    """__reduce__ with a tuple state consumed by __setstate__."""

    def __init__(self, a=None, b=None):
        self.a = a
        self.b = b

    def __reduce__(self):
        return (ReduceSetState, (), (self.a, self.b))

    def __setstate__(self, state):
        self.a, self.b = state


class ReduceItems(object):
    """__reduce__ that also yields list items and dict items."""

    def __init__(self):
        self.items = []
        self.mapping = {}

    def append(self, item):
        self.items.append(item)

    def extend(self, items):
        for item in items:
            self.items.append(item)

    def __setitem__(self, key, value):
        self.mapping[key] = value

    def __reduce__(self):
        return (ReduceItems, (), None, iter(list(self.items)),
                iter(list(self.mapping.items())))


class ListSub(list):
    """list subclass carrying extra attributes."""


class DictSub(dict):
    """dict subclass carrying extra attributes."""


class NewArgs(object):
    """__new__ needs an argument; supplies it through __getnewargs__."""

    def __new__(cls, value):
        self = object.__new__(cls)
        self.value = value
        return self

    def __getnewargs__(self):
        return (self.value,)


class NewArgsEx(object):
    """__new__ needs a keyword argument; uses __getnewargs_ex__ (3.6+)."""

    def __new__(cls, *args, **kwargs):
        if 'key' not in kwargs:
            raise TypeError('NewArgsEx needs key=')
        self = object.__new__(cls)
        self.args = args
        self.key = kwargs['key']
        return self

    def __getnewargs_ex__(self):
        return (self.args, {'key': self.key})


class FixedTZ(datetime.tzinfo):
    """Minimal fixed-offset tzinfo usable on every version."""

    def __init__(self, minutes=0, name='FIX'):
        self.minutes = minutes
        self.name = name

    def utcoffset(self, dt):
        return datetime.timedelta(minutes=self.minutes)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return self.name


Point = collections.namedtuple('Point', 'x y')

if sys.version_info >= (3, 7):
    import dataclasses
    DataPoint = dataclasses.make_dataclass(
        'DataPoint', [('x', int), ('y', list)])
    DataPoint.__module__ = __name__
    DataPoint.__qualname__ = 'DataPoint'
else:
    DataPoint = None


# Classes without an ``object`` base: old-style on Python 2 (pickled with
# the INST / OBJ opcodes), ordinary classes on Python 3.
class OldStyle:
    def __init__(self, a=None):
        self.a = a


class OldStyleInitArgs:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __getinitargs__(self):
        return (self.a, self.b)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

class Case(object):
    def __init__(self, name, make, min_proto=0, stream=False):
        self.name = name
        self.make = make          # returns the object (or list for streams)
        self.min_proto = min_proto
        self.stream = stream


def _distinct(s):
    """Return a new string object equal to s (not a shared constant)."""
    return s[:1] + s[1:] if len(s) > 1 else s


def _settle(s):
    """Rebuild a set until its iteration order is the one a reload gives.

    Unpickling rebuilds a set by inserting the members in the order they
    were written, which can give a different iteration order when members
    collide in the hash table; CPython's re-dump of the loaded set would
    then not match the file byte for byte.  Some member orders have no
    such fixed point; those sets are left as they are.
    """
    for _ in range(20):
        again = type(s)(list(s))
        if [id(x) for x in again] == [id(x) for x in s]:
            return again
        s = again
    return s


def S(items=()):
    """A set in settled order (see _settle)."""
    return _settle(set(items))


def FS(items=()):
    """A frozenset in settled order (see _settle)."""
    return _settle(frozenset(items))


def _deep(n, wrap):
    obj = 0
    for i in range(n):
        obj = wrap(obj, i)
    return obj


def build_cases():
    cases = []

    def add(name, make, min_proto=0, stream=False):
        cases.append(Case(name, make, min_proto, stream))

    # -- scalars ---------------------------------------------------------
    ints = [
        ('int_0', 0), ('int_1', 1), ('int_neg1', -1),
        ('int_255', 255), ('int_256', 256),
        ('int_65535', 65535), ('int_65536', 65536),
        ('int_2p31m1', 2 ** 31 - 1), ('int_neg2p31', -2 ** 31),
        ('int_2p31', 2 ** 31),
        ('int_2p63m1', 2 ** 63 - 1), ('int_neg2p63', -2 ** 63),
        ('int_2p64', 2 ** 64), ('int_neg2p64', -(2 ** 64)),
        ('int_2p1000', 2 ** 1000), ('int_neg2p1000p7', -(2 ** 1000) + 7),
        ('int_3000_digits', int('1234567890' * 300)),
    ]
    for name, value in ints:
        add(name, (lambda v=value: v))
    add('none', lambda: None)
    add('true', lambda: True)
    add('false', lambda: False)

    floats = [
        ('float_0', 0.0), ('float_neg0', -0.0), ('float_1_5', 1.5),
        ('float_1e300', 1e300), ('float_1e_300', 1e-300),
        ('float_5e_324', 5e-324),
        ('float_inf', float('inf')), ('float_neginf', float('-inf')),
        ('float_0_1', 0.1), ('float_1e16', 1e16), ('float_1e22', 1e22),
        ('float_123456789_125', 123456789.125),
    ]
    for name, value in floats:
        add(name, (lambda v=value: v))
    # NaN only here: compare by bit pattern (or x != x), never with ==.
    add('float_nan', lambda: float('nan'))
    add('float_nan_list', lambda: [float('nan'), 1.0, float('nan')])

    def scalars_all():
        return [None, True, False] + [v for _, v in ints] + \
            [v for _, v in floats]
    add('scalars_all', scalars_all)
    if PY2:
        add('py2_long_small', lambda: long(7))  # noqa: F821
        add('py2_long_list', lambda: [long(0), long(-1),  # noqa: F821
                                      long(2 ** 40), 2 ** 40])  # noqa: F821

    # -- text ------------------------------------------------------------
    texts = [
        ('str_empty', u''),
        ('str_a', u'a'),
        ('str_ascii', u'hello, world'),
        ('str_latin1', u'caf\xe9'),
        ('str_bmp', u'\u65e5\u672c\u8a9e'),
        ('str_astral', u'\U0001F600'),
        ('str_escapes', u'a\nb\rc\x00d\\e\x1af\x7f\x80 \u0100 end'),
        ('str_255', u'x' * 255),
        ('str_256', u'y' * 256),
        ('str_300', u'z' * 300),
        ('str_70k', (u'0123456789abcdef' * 4480)),
        ('str_70k_mixed', (u'ab\xe9\u65e5' * 17920)),
    ]
    for name, value in texts:
        add(name, (lambda v=value: v))
    if not PY2:
        add('str_lone_surrogates',
            lambda: [u'\ud800', u'\udfff', u'a\ud800b\udfffc'])
    add('str_all', lambda: [v for _, v in texts[:9]])
    # Native str: Python 2 byte string, Python 3 text.
    add('native_str', lambda: str('native'))
    add('mixed_text', lambda: [u'abc', b'abc', u'caf\xe9', b'caf\xc3\xa9',
                               u'', b''])

    # -- bytes / bytearray ------------------------------------------------
    raw = [
        ('bytes_empty', b''),
        ('bytes_00ff', b'\x00\xff'),
        ('bytes_ascii', b'hello'),
        ('bytes_all256', bytes(bytearray(range(256)))),
        ('bytes_255', b'b' * 255),
        ('bytes_256', b'c' * 256),
        ('bytes_70k', bytes(bytearray(range(256))) * 280),
    ]
    for name, value in raw:
        add(name, (lambda v=value: v))
    add('bytearray_empty', lambda: bytearray())
    add('bytearray_small', lambda: bytearray(b'\x00abc\xff'))
    add('bytearray_70k', lambda: bytearray(range(256)) * 280)
    add('bytearray_list', lambda: [bytearray(b'x'), bytearray(b'x'),
                                   bytearray()])

    # -- containers ------------------------------------------------------
    for n in range(5):
        add('list_%d' % n, (lambda n=n: list(range(n))))
        add('tuple_%d' % n, (lambda n=n: tuple(range(n))))
    add('dict_empty', lambda: {})
    add('dict_small', lambda: {u'a': 1, u'b': [2, 3], u'c': {u'd': None}})
    add('set_empty', lambda: S())
    add('set_small', lambda: S([1, 2, 3]))
    add('set_str', lambda: S([u'alpha', u'beta', u'gamma', u'delta',
                              u'epsilon', u'zeta']))
    add('frozenset_empty', lambda: FS())
    add('frozenset_small', lambda: FS([1, 2, 3]))
    add('frozenset_str', lambda: FS([u'one', u'two', u'three']))
    add('nested', lambda: {u'list': [1, [2, [3, (4, 5)]], {u'k': u'v'}],
                           u'tuple': ((), (1,), ((2,),)),
                           u'set': S([FS([1]), (1, 2)]),
                           u'empty': [[], {}, (), S(), FS()]})
    for n in (999, 1000, 1001, 2000, 2500):
        add('list_n%d' % n, (lambda n=n: list(range(n))))
        add('tuple_n%d' % n, (lambda n=n: tuple(range(n))))
        add('dict_n%d' % n,
            (lambda n=n: dict((u'k%d' % i, i) for i in range(n))))
        add('int_dict_n%d' % n, (lambda n=n: dict((i, -i) for i in range(n))))
        add('set_n%d' % n, (lambda n=n: S(range(n))))
        add('frozenset_n%d' % n, (lambda n=n: FS(range(n))))
    def frames_scalars():
        # Runs of scalars in every size (1 to 10 bytes) and sign, long enough to cross several
        # 64 KiB frame boundaries, broken now and then by a str.
        out = []
        for i in range(40000):
            out.append([i % 256, i * 300, i * 100003, 2 ** 40 + i, i * 0.5, None,
                        i % 2 == 0, -i, -(2 ** 40) - i, -(2 ** 63) + i][i % 10])
            if i % 997 == 0:
                out.append(u's%d' % i)
        return out
    add('frames_scalars', frames_scalars)

    def frames_scalar_pairs():
        # A dict whose runs of scalar pairs cross frame boundaries, broken now and then by a
        # str value.
        values = frames_scalars()
        return dict((i * 7 - 100000, v) for i, v in enumerate(values))
    add('frames_scalar_pairs', frames_scalar_pairs)
    # Every scalar at its largest (LONG1 with 8 bytes), so runs are as long as the frame's room
    # allows and no shorter.
    add('frames_widest_scalars', lambda: [2 ** 62 + i for i in range(20000)])
    add('frames_widest_scalar_pairs',
        lambda: dict((2 ** 62 + i, -(2 ** 62) - i) for i in range(10000)))
    add('frames_scalars_tuple', lambda: tuple(frames_scalars()))
    # Small lists of scalars (written whole when they fit before the frame's end) of every
    # length from 0 to 40 and every scalar size, so some straddle each frame boundary.
    add('frames_small_scalar_lists', lambda: [
        [[i % 256, i * 300, -i * 100003, 2 ** 62 + i, i * 0.5, None, True][(i + j) % 7]
         for j in range(i % 41)] for i in range(1000)])
    # Strs, fresh and repeated (memo hits), in a list and in a dict, across frame boundaries.
    def frames_strs():
        fresh = [u'text%05d' % i for i in range(9000)]
        return [fresh[i // 2] if i % 3 == 0 else fresh[i] for i in range(9000)]
    add('frames_strs', frames_strs)
    def frames_str_dict():
        values = [u'value%d' % i for i in range(1000)]
        return dict((u'key%05d' % i, values[i % 1000]) for i in range(5000))
    add('frames_str_dict', frames_str_dict)
    # The same for small dicts of scalars.
    add('frames_small_scalar_dicts', lambda: [
        dict((i * 64 + j, [i % 256, -i * 100003, 2 ** 62 + i, i * 0.5, None, False][(i + j) % 6])
             for j in range(i % 41)) for i in range(600)])
    add('dict_key_types', lambda: {
        2: u'int', 1.5: u'float', (1, u'x'): u'tuple',
        FS([3, 4]): u'frozenset', True: u'bool', None: u'none',
        u'str': u'str', b'bytes': u'bytes', 2 ** 70: u'bigint',
        -0.5: u'negfloat'})

    # -- sharing and cycles ---------------------------------------------
    def share_list():
        s = [1, 2]
        return [s, s, {u'k': s}, (s,)]
    add('share_list', share_list)

    def share_str():
        x = u'shared ' + u'string'
        y = u'caf' + u'\xe9 shared'
        return [x, x, {x: x}, (y, y), y]
    add('share_str', share_str)

    def share_bytes():
        x = b'shared ' + b'bytes'
        return [x, x, (x,), {b'k': x}]
    add('share_bytes', share_bytes)

    def share_big_bytes():
        # Large enough to load as a view into the input (brinery::SHARE_FROM).
        x = bytes(bytearray(range(256))) * 40
        return [x, x, (x, b'small'), {b'k': x}]
    add('share_big_bytes', share_big_bytes)

    def share_tuple():
        t = (1, u'tuple')
        return [t, t, [t], {u'k': t}]
    add('share_tuple', share_tuple)

    def share_dict():
        d = {u'a': 1}
        return [d, d, (d,), [d]]
    add('share_dict', share_dict)

    def share_set():
        s = S([1, 2])
        f = FS([3])
        return [s, s, f, f, (f, s)]
    add('share_set', share_set)

    def distinct_equal():
        # Equal but distinct objects: must stay distinct.
        return [[1], [1], tuple([1, 2]), tuple([1, 2]), {u'a': 1},
                {u'a': 1}, _distinct(u'same text'), _distinct(u'same text')]
    add('distinct_equal', distinct_equal)

    def self_list():
        lst = [1]
        lst.append(lst)
        lst.append([lst])
        return lst
    add('self_list', self_list)

    def self_dict():
        d = {u'x': 1}
        d[u'self'] = d
        return d
    add('self_dict', self_dict)

    def tuple_cycle_tuple():
        lst = []
        t = (lst,)
        lst.append(t)
        return t
    add('tuple_cycle_root_tuple', tuple_cycle_tuple)

    def tuple_cycle_list():
        lst = []
        t = (lst, u'x')
        lst.append(t)
        lst.append(t)
        return lst
    add('tuple_cycle_root_list', tuple_cycle_list)

    def dict_parent():
        parent = {u'name': u'parent', u'children': []}
        for i in range(3):
            parent[u'children'].append({u'name': i, u'parent': parent})
        return parent
    add('dict_parent', dict_parent)

    def set_shared_tuple():
        t = (1, 2)
        return [S([t, 100]), t, FS([t]), {t: t}]
    add('set_shared_tuple', set_shared_tuple)
    # (1, 2) and 3 share a hash slot in an 8-slot table: reloading swaps
    # their order each time, so no re-dump of this set is byte-stable.
    add('set_order_flips', lambda: S([(1, 2), 3]))

    add('deep_list_100', lambda: _deep(100, lambda o, i: [o]))
    add('deep_dict_100', lambda: _deep(100, lambda o, i: {i: o}))
    add('deep_tuple_100', lambda: _deep(100, lambda o, i: (o, i)))

    def mixed_level(obj, i):
        if i % 3 == 0:
            return [obj]
        if i % 3 == 1:
            return (obj,)
        return {u'k': obj}
    add('deep_mixed_100', lambda: _deep(100, mixed_level))

    # -- standard library objects ---------------------------------------
    add('complex', lambda: [complex(1.5, -2.0), complex(0.0, -0.0),
                            complex(float('inf'), 1e300)])
    if PY2:
        add('range', lambda: [xrange(10), xrange(1, 100, 7),  # noqa: F821
                              xrange(0)])  # noqa: F821
    else:
        add('range', lambda: [range(10), range(1, 100, 7), range(0),
                              range(-5, -50, -3)])
        add('slice', lambda: [slice(1, 10, 2), slice(None),
                              slice(u'a', None, [1])])
    add('date', lambda: [datetime.date(2024, 2, 29), datetime.date.min,
                         datetime.date.max])
    add('time', lambda: [datetime.time(12, 34, 56, 789),
                         datetime.time(0, 0), datetime.time.max])
    add('datetime_naive', lambda: [
        datetime.datetime(2024, 2, 29, 23, 59, 58, 123456),
        datetime.datetime(1, 1, 1), datetime.datetime.max])
    add('timedelta', lambda: [
        datetime.timedelta(days=1, seconds=2, microseconds=3),
        datetime.timedelta(-1, 5), datetime.timedelta(days=-3,
                                                      microseconds=-1),
        datetime.timedelta(0), datetime.timedelta.max,
        datetime.timedelta.min])
    add('datetime_custom_tz', lambda: [
        datetime.datetime(2020, 6, 1, 8, 0, 0, 5, tzinfo=FixedTZ(90, 'X')),
        datetime.time(1, 2, 3, tzinfo=FixedTZ(-60, 'Y'))])
    if not PY2:
        tz = datetime.timezone
        td = datetime.timedelta
        add('timezone', lambda: [tz.utc, tz(td(hours=5, minutes=30)),
                                 tz(td(hours=-8), u'PST'), tz.min, tz.max])
        add('datetime_utc', lambda: datetime.datetime(
            2024, 1, 2, 3, 4, 5, 6, tzinfo=tz.utc))
        add('datetime_offset', lambda: datetime.datetime(
            2024, 1, 2, 3, 4, 5, 999999, tzinfo=tz(td(hours=5, minutes=30))))
        add('datetime_named_tz', lambda: datetime.datetime(
            1999, 12, 31, 23, 59, 59, tzinfo=tz(td(hours=-8), u'PST')))
        add('time_tz', lambda: [
            datetime.time(1, 2, 3, 4, tzinfo=tz.utc),
            datetime.time(23, 0, tzinfo=tz(td(minutes=-90), u'odd'))])

        def shared_tz():
            z = tz(td(hours=2), u'CEST')
            return [datetime.datetime(2024, 7, 1, tzinfo=z),
                    datetime.time(5, tzinfo=z), z]
        add('datetime_shared_tz', shared_tz)
    if sys.version_info >= (3, 6):
        add('datetime_fold', lambda: [
            datetime.datetime(2021, 11, 7, 1, 30, fold=1),
            datetime.time(1, 30, fold=1),
            datetime.datetime(2021, 11, 7, 1, 30, 0, 1, fold=1,
                              tzinfo=datetime.timezone.utc)])
    D = decimal.Decimal
    add('decimal', lambda: [D('1.10'), D('-0'), D('NaN'), D('Infinity'),
                            D('-Infinity'), D('1E+10'), D('sNaN'),
                            D('-123456789012345678901234567890.5')])
    add('uuid', lambda: [uuid.UUID('12345678-1234-5678-1234-567812345678'),
                         uuid.UUID(int=0)])
    add('fraction', lambda: [fractions.Fraction(3, 7),
                             fractions.Fraction(-1, 3),
                             fractions.Fraction(2 ** 70, 3)])
    add('ordereddict', lambda: collections.OrderedDict(
        [(u'b', 1), (u'a', 2), (3, [u'x'])]))
    if not PY2:
        # Python 2 pickles OrderedDict items as a constructor argument, so
        # a self-containing OrderedDict recurses forever there.
        def ordereddict_self():
            od = collections.OrderedDict([(u'first', 1)])
            od[u'self'] = od
            od[u'last'] = [od]
            return od
        add('ordereddict_self', ordereddict_self)

    def defaultdicts():
        d1 = collections.defaultdict(list)
        d1[u'a'].append(1)
        d1[u'b']
        d2 = collections.defaultdict(None, {1: 2})
        return [d1, d2]
    add('defaultdict', defaultdicts)
    add('deque', lambda: [collections.deque([1, 2, 3]),
                          collections.deque([1, 2], maxlen=5),
                          collections.deque(maxlen=0),
                          collections.deque()])
    add('counter', lambda: collections.Counter(u'abracadabra'))
    add('globals', lambda: [Plain, len, collections.OrderedDict, int,
                            json.dumps, Point])

    # -- class instances -------------------------------------------------
    add('inst_plain', lambda: Plain(1, [u'two', 3.0]))

    def inst_slots():
        return [Slotted(1, [2]), Slotted(u'ex')]
    add('inst_slots', inst_slots, min_proto=2)

    def inst_slots_dict():
        o = SlottedWithDict([1])
        o.extra = u'more'
        return o
    add('inst_slots_dict', inst_slots_dict, min_proto=2)
    add('inst_reduce_state', lambda: [ReduceState(1, u'bee'),
                                      ReduceState([2], None)])
    add('inst_reduce_setstate', lambda: ReduceSetState(u'a', (1, 2)))

    def inst_reduce_items():
        o = ReduceItems()
        for i in range(3):
            o.append(i)
        o[u'k'] = u'v'
        o[2] = [o]
        return o
    add('inst_reduce_items', inst_reduce_items)

    def inst_listsub():
        o = ListSub([1, 2, [3]])
        o.name = u'listsub'
        return o
    add('inst_listsub', inst_listsub)

    # Protocols 0 and 1 pass a copy of the items to the constructor, so a
    # subclass instance that contains itself only pickles at protocol 2+.
    def inst_listsub_self():
        o = inst_listsub()
        o.append(o)
        o.me = o
        return o
    add('inst_listsub_self', inst_listsub_self, min_proto=2)

    def inst_dictsub():
        o = DictSub(a=1)
        o[u'b'] = [2]
        o.name = u'dictsub'
        return o
    add('inst_dictsub', inst_dictsub)

    def inst_dictsub_self():
        o = inst_dictsub()
        o[u'self'] = o
        return o
    add('inst_dictsub_self', inst_dictsub_self, min_proto=2)
    add('inst_newargs', lambda: [NewArgs(5), NewArgs(u'x')])
    if sys.version_info >= (3, 6):
        add('inst_newargs_ex', lambda: [NewArgsEx(1, 2, key=u'k'),
                                        NewArgsEx(key=None)])
    add('namedtuple', lambda: [Point(1, 2), Point(x=u'a', y=[3])])
    if DataPoint is not None:
        add('dataclass', lambda: [DataPoint(1, [2]), DataPoint(3, [])])
    if PY2:
        add('oldstyle', lambda: [OldStyle(1), OldStyle([u'x'])])
        add('oldstyle_initargs', lambda: OldStyleInitArgs(1, u'two'))

    # Values equal to attribute names: the pickler shares one string for
    # both, but loading interns only the name, so a re-dump by CPython
    # writes the value separately.
    add('inst_attr_name_values', lambda: Plain(u'a', u'b'))

    def inst_shared_state():
        state = [u'shared', 1]
        a = Plain(state, None)
        b = Plain(state, a)
        a.b = b
        return [a, b, state, a]
    add('inst_shared_state', inst_shared_state)

    def inst_self_ref():
        o = Plain()
        o.a = o
        o.b = {u'me': o}
        return o
    add('inst_self_ref', inst_self_ref)

    # -- streams: several pickles back to back in one file ---------------
    add('stream_builtin', lambda: [[1, 2, 3], {u'k': (u'v', None)},
                                   u'third'], stream=True)
    add('stream_mixed', lambda: [Plain(1, 2), 2 ** 100,
                                 collections.OrderedDict([(1, 2)])],
        stream=True)
    add('stream_shared_text', lambda: [u'same', u'same', [u'same']],
        stream=True)
    return cases


# ---------------------------------------------------------------------------
# Graph scan: builtin-only and Python 2 str detection
# ---------------------------------------------------------------------------

if PY2:
    BUILTIN_TYPES = frozenset()  # builtin_only is always false on Python 2
    _OPAQUE = (type, types.ClassType, types.FunctionType,  # noqa: F821
               types.BuiltinFunctionType, types.ModuleType)
else:
    BUILTIN_TYPES = frozenset([type(None), bool, int, float, str, bytes,
                               bytearray, list, tuple, dict, set, frozenset])
    _OPAQUE = (type, types.FunctionType, types.BuiltinFunctionType,
               types.ModuleType)
_ATOMS = (type(None), bool, float, complex, bytes, bytearray, text_type,
          str) + int_types


def scan(objects):
    """Return (builtin_only, has_py2_str) for the graph(s) in objects."""
    builtin_only = not PY2
    has_py2_str = False
    seen = set()
    keep = []  # keeps temporary objects alive so ids stay unique
    stack = list(objects)
    while stack:
        x = stack.pop()
        t = type(x)
        if PY2 and t is str:
            has_py2_str = True
        if t not in BUILTIN_TYPES:
            builtin_only = False
        if isinstance(x, _ATOMS) or isinstance(x, _OPAQUE) or id(x) in seen:
            continue
        seen.add(id(x))
        keep.append(x)
        if t in (list, tuple, set, frozenset):
            stack.extend(x)
        elif t is dict:
            for k, v in x.items():
                stack.append(k)
                stack.append(v)
        else:
            parts = _reduce_parts(x)
            keep.append(parts)
            stack.extend(parts)
    return builtin_only, has_py2_str


def _reduce_parts(x):
    """Objects reachable from a non-builtin object, as pickle sees them."""
    parts = []
    if isinstance(x, dict):
        for k, v in x.items():
            parts.append(k)
            parts.append(v)
    elif isinstance(x, (list, tuple, set, frozenset)):
        parts.extend(x)
    d = getattr(x, '__dict__', None)
    if isinstance(d, dict):
        parts.append(d)
    reduce_ex = getattr(x, '__reduce_ex__', None)
    if reduce_ex is not None:
        try:
            rv = reduce_ex(2)
        except Exception:
            rv = None
        if isinstance(rv, tuple):
            for i, part in enumerate(rv):
                if i >= 3 and part is not None:
                    part = list(part)
                parts.append(part)
    return parts


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def write_corpus(outdir):
    if not os.path.isdir(outdir):
        os.makedirs(outdir)
    manifest = []
    skipped = []
    cases = build_cases()
    names = set()
    for case in cases:
        assert case.name not in names, case.name
        names.add(case.name)
        for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
            if proto < case.min_proto:
                continue
            objs = case.make()
            if not case.stream:
                objs = [objs]
            fname = '%s.p%d.pkl' % (case.name, proto)
            path = os.path.join(outdir, fname)
            try:
                chunks = [pickle.dumps(o, proto) for o in objs]
            except Exception as e:
                skipped.append((fname, e))
                continue
            with open(path, 'wb') as f:
                for o in objs:
                    pickle.dump(o, f, proto)
            with open(path, 'rb') as f:
                written = f.read()
            if written != b''.join(chunks):
                # Not expected: dump() to a file and dumps() should agree.
                sys.stderr.write('note: %s: dump and dumps differ\n' % fname)
            builtin_only, has_py2_str = scan(objs)
            manifest.append({
                'file': fname,
                'case': case.name,
                'protocol': proto,
                'builtin_only': builtin_only,
                'count': len(objs),
                'py2_str': has_py2_str,
            })
    with open(os.path.join(outdir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')
    for fname, e in skipped:
        sys.stderr.write('skipped %s: %s: %s\n' % (fname, type(e).__name__, e))
    print('Python %s: wrote %d files (%d cases, protocols 0-%d, %d skipped) '
          'to %s' % (sys.version.split()[0], len(manifest), len(cases),
                     pickle.HIGHEST_PROTOCOL, len(skipped), outdir))
    return 0


def main(argv):
    if len(argv) != 1 or argv[0] in ('-h', '--help'):
        sys.stderr.write('usage: corpus.py OUTDIR\n')
        return 2
    return write_corpus(argv[0])


if __name__ == '__main__':
    # Re-import this file as ``corpus`` so the classes pickle as
    # corpus.<Name>, which the checker can import.
    sys.path.insert(0, HERE)
    import corpus
    sys.exit(corpus.main(sys.argv[1:]))
