"""Writes crates/brinery/src/opcodes/table.rs from pickletools' opcode facts.

The byte values, argument kinds, stack effects and protocols are facts of the pickle format; the
one-line docs are the project's own. Run: python3 tools/gen_opcodes.py > crates/brinery/src/opcodes/table.rs
"""
import pickletools

DOCS = {
    'INT': 'Push an int (or bool for 00/01) written as decimal text.',
    'BININT': 'Push a signed 4-byte little-endian int.',
    'BININT1': 'Push an unsigned 1-byte int.',
    'BININT2': 'Push an unsigned 2-byte little-endian int.',
    'LONG': 'Push an int written as decimal text with an optional L suffix.',
    'LONG1': 'Push an int from up to 255 little-endian two\'s-complement bytes.',
    'LONG4': 'Push an int from a 4-byte count of little-endian two\'s-complement bytes.',
    'STRING': 'Push a Python 2 str written as a quoted, escaped literal.',
    'BINSTRING': 'Push a Python 2 str with a 4-byte length.',
    'SHORT_BINSTRING': 'Push a Python 2 str with a 1-byte length.',
    'BINBYTES': 'Push bytes with a 4-byte length.',
    'SHORT_BINBYTES': 'Push bytes with a 1-byte length.',
    'BINBYTES8': 'Push bytes with an 8-byte length.',
    'BYTEARRAY8': 'Push a bytearray with an 8-byte length.',
    'NEXT_BUFFER': 'Push the next out-of-band buffer.',
    'READONLY_BUFFER': 'Make the buffer on top of the stack read-only.',
    'NONE': 'Push None.',
    'NEWTRUE': 'Push True.',
    'NEWFALSE': 'Push False.',
    'UNICODE': 'Push a str written in raw-unicode-escape up to a newline.',
    'SHORT_BINUNICODE': 'Push a UTF-8 str with a 1-byte length.',
    'BINUNICODE': 'Push a UTF-8 str with a 4-byte length.',
    'BINUNICODE8': 'Push a UTF-8 str with an 8-byte length.',
    'FLOAT': 'Push a float written as decimal text.',
    'BINFLOAT': 'Push a float from 8 big-endian IEEE-754 bytes.',
    'EMPTY_LIST': 'Push an empty list.',
    'APPEND': 'Append the top item to the list below it.',
    'APPENDS': 'Extend the list below the mark with the items above it.',
    'LIST': 'Build a list from the items above the mark.',
    'EMPTY_TUPLE': 'Push the empty tuple.',
    'TUPLE': 'Build a tuple from the items above the mark.',
    'TUPLE1': 'Build a 1-tuple from the top item.',
    'TUPLE2': 'Build a 2-tuple from the top two items.',
    'TUPLE3': 'Build a 3-tuple from the top three items.',
    'EMPTY_DICT': 'Push an empty dict.',
    'DICT': 'Build a dict from key/value pairs above the mark.',
    'SETITEM': 'Set `dict[key] = value` from the top three items.',
    'SETITEMS': 'Add the key/value pairs above the mark to the dict below it.',
    'EMPTY_SET': 'Push an empty set.',
    'ADDITEMS': 'Add the items above the mark to the set below it.',
    'FROZENSET': 'Build a frozenset from the items above the mark.',
    'POP': 'Discard the top item.',
    'DUP': 'Push a second reference to the top item.',
    'MARK': 'Push a mark.',
    'POP_MARK': 'Discard everything down to and including the topmost mark.',
    'GET': 'Push a memo entry; the index is decimal text.',
    'BINGET': 'Push a memo entry; 1-byte index.',
    'LONG_BINGET': 'Push a memo entry; 4-byte index.',
    'PUT': 'Store the top item in the memo; the index is decimal text.',
    'BINPUT': 'Store the top item in the memo; 1-byte index.',
    'LONG_BINPUT': 'Store the top item in the memo; 4-byte index.',
    'MEMOIZE': 'Store the top item in the memo at the next free index.',
    'EXT1': 'Push the global registered under a 1-byte extension code.',
    'EXT2': 'Push the global registered under a 2-byte extension code.',
    'EXT4': 'Push the global registered under a 4-byte extension code.',
    'GLOBAL': 'Push a global named by module and qualname text lines.',
    'STACK_GLOBAL': 'Push a global named by the module and qualname strs on the stack.',
    'REDUCE': 'Call the callable below with the argument tuple on top.',
    'BUILD': 'Give the object below the state on top (__setstate__ or __dict__ update).',
    'INST': 'Instantiate a class named in text lines with the items above the mark.',
    'OBJ': 'Instantiate the class just above the mark with the items after it.',
    'NEWOBJ': 'Create cls.__new__(cls, *args) from cls and an argument tuple.',
    'NEWOBJ_EX': 'Create cls.__new__(cls, *args, **kwargs).',
    'PROTO': 'Declare the protocol version.',
    'STOP': 'End the pickle; the top item is the result.',
    'FRAME': 'Start a frame of the given length (a read-ahead hint).',
    'PERSID': 'Push a persistent object named by a text id.',
    'BINPERSID': 'Push a persistent object named by the id on top of the stack.',
}

ARG = {
    'uint1': 'U1', 'uint2': 'U2', 'int4': 'I4', 'uint4': 'U4', 'uint8': 'U8',
    'decimalnl_short': 'DecimalNlShort', 'decimalnl_long': 'DecimalNlLong',
    'stringnl': 'StringNl', 'stringnl_noescape': 'StringNlNoEscape',
    'stringnl_noescape_pair': 'StringNlNoEscapePair', 'string1': 'String1', 'string4': 'String4',
    'bytes1': 'Bytes1', 'bytes4': 'Bytes4', 'bytes8': 'Bytes8', 'bytearray8': 'ByteArray8',
    'unicodestringnl': 'UnicodeStringNl', 'unicodestring1': 'UnicodeString1',
    'unicodestring4': 'UnicodeString4', 'unicodestring8': 'UnicodeString8',
    'floatnl': 'FloatNl', 'float8': 'Float8', 'long1': 'Long1', 'long4': 'Long4',
}
STK = {
    'None': 'NoneType', 'any': 'Any', 'bool': 'Bool', 'buffer': 'Buffer', 'bytearray': 'ByteArray',
    'bytes': 'Bytes', 'bytes_or_str': 'BytesOrStr', 'dict': 'Dict', 'float': 'Float',
    'frozenset': 'FrozenSet', 'int': 'Int', 'int_or_bool': 'IntOrBool', 'list': 'List', 'mark': 'Mark',
    'set': 'Set', 'stackslice': 'StackSlice', 'str': 'Str', 'tuple': 'Tuple',
}


def stk(xs):
    return '&[' + ', '.join('Stk::' + STK[s.name] for s in xs) + ']'


print('// Generated by tools/gen_opcodes.py; edit that script, not this file.')
print('use super::{Arg, OpInfo, Stk};')
print()
print('/// Every opcode of protocols 0-5, in the order pickletools lists them.')
print('pub static OPCODES: [OpInfo; %d] = [' % len(pickletools.opcodes))
for o in pickletools.opcodes:
    code = ord(o.code)
    print('    OpInfo {')
    print('        name: "%s",' % o.name)
    print('        code: 0x%02x,' % code)
    print('        arg: %s,' % ('Arg::' + ARG[o.arg.name] if o.arg else 'Arg::None'))
    print('        before: %s,' % stk(o.stack_before))
    print('        after: %s,' % stk(o.stack_after))
    print('        proto: %d,' % o.proto)
    print('        doc: "%s",' % DOCS[o.name].replace('"', '\\"'))
    print('    },')
print('];')
print()
print('/// Opcode bytes by name, for the reader and writer.')
print('pub mod op {')
for o in pickletools.opcodes:
    print('    /// %s' % DOCS[o.name])
    print('    pub const %s: u8 = 0x%02x;' % (o.name, ord(o.code)))
print('}')
