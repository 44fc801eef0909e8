#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Usage: btf-from-image.py IMAGE OUT

Copies the kernel BTF (.BTF section) out of an uncompressed kernel image,
such as Debian's arm64 vmlinuz, which carries no section headers: a
kernel of another architecture cannot be booted here to read
/sys/kernel/btf/vmlinux. The BTF is the largest blob that starts with a
BTF header whose type section comes first and string section right after.
"""
import struct
import sys

HEADER = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"


def find_btf(image):
    best = None
    at = image.find(HEADER)
    while at >= 0:
        type_off, type_len, str_off, str_len = struct.unpack_from(
            "<4I", image, at + 8)
        size = 24 + str_off + str_len
        if (type_off == 0 and str_off == type_len and
                at + size <= len(image) and (not best or size > best[1])):
            best = (at, size)
        at = image.find(HEADER, at + 1)
    return best


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[0])
    with open(sys.argv[1], "rb") as f:
        image = f.read()
    found = find_btf(image)
    if not found:
        sys.exit(f"btf-from-image: no BTF in {sys.argv[1]}")
    with open(sys.argv[2], "wb") as f:
        f.write(image[found[0]:found[0] + found[1]])


main()
