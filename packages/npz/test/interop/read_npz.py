#!/usr/bin/env python3
"""Reads an .npz the way numpy.load does, with the standard library only (numpy is not
installed here), and prints what it found as JSON: `python3 read_npz.py file.npz`.

Checks what numpy checks: the magic and version, a header that literal_eval reads as a dict
of exactly descr / fortran_order / shape, the data length; zipfile checks each CRC-32.
Eight-byte integers are printed as strings and non-finite floats as "nan" / "inf", so JSON
carries them exactly. Bytes (|S) are printed as hex.
"""
import ast
import json
import math
import struct
import sys
import zipfile

FORMATS = {'f4': 'f', 'f8': 'd', 'i1': 'b', 'i2': 'h', 'i4': 'i', 'i8': 'q',
           'u1': 'B', 'u2': 'H', 'u4': 'I', 'u8': 'Q', 'b1': '?'}


def scalar(descr, raw):
    order, kind, size = descr[0], descr[1], int(descr[2:])
    if kind == 'S':
        return raw.rstrip(b'\0').hex()
    if kind == 'U':
        return raw.decode('utf-32-be' if order == '>' else 'utf-32-le').rstrip('\0')
    (value,) = struct.unpack(('>' if order == '>' else '<') + FORMATS[kind + str(size)], raw)
    if kind in 'iu' and size == 8:
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def itemsize(descr):
    if isinstance(descr, list):
        return sum(itemsize(t) for _, t in descr)
    return int(descr[2:]) * (4 if descr[1] == 'U' else 1)


def read_npy(data):
    assert data[:6] == b'\x93NUMPY', 'bad magic'
    major, minor = data[6], data[7]
    assert (major, minor) in ((1, 0), (2, 0), (3, 0)), 'version %d.%d' % (major, minor)
    if major == 1:
        (hlen,) = struct.unpack('<H', data[8:10])
        start = 10
    else:
        (hlen,) = struct.unpack('<I', data[8:12])
        start = 12
    text = data[start:start + hlen].decode('utf8' if major == 3 else 'latin1')
    assert text.endswith('\n'), 'header does not end with a newline'
    header = ast.literal_eval(text)
    assert isinstance(header, dict) and sorted(header) == ['descr', 'fortran_order', 'shape']
    shape = header['shape']
    assert isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)
    assert header['fortran_order'] is False
    descr = header['descr']
    offset = start + hlen
    count = math.prod(shape)
    size = itemsize(descr)
    body = data[offset:]
    assert len(body) == count * size, 'data is %d bytes, expected %d' % (len(body), count * size)
    values = []
    for i in range(count):
        raw = body[i * size:(i + 1) * size]
        if isinstance(descr, list):
            record, at = {}, 0
            for name, t in descr:
                if name:  # unnamed '|V<n>' fields are padding, which numpy hides too
                    record[name] = scalar(t, raw[at:at + itemsize(t)])
                at += itemsize(t)
            values.append(record)
        else:
            values.append(scalar(descr, raw))
    return {'version': '%d.%d' % (major, minor), 'data_offset': offset, 'descr': repr(descr),
            'shape': list(shape), 'data': values}


def main(path):
    out = {}
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, 'CRC mismatch'
        for info in z.infolist():
            assert info.filename.endswith('.npy'), info.filename
            entry = read_npy(z.read(info))
            entry['compress_type'] = info.compress_type
            out[info.filename[:-4]] = entry
    json.dump(out, sys.stdout, ensure_ascii=False)


main(sys.argv[1])
