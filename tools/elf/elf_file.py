"""What a dynamic linker sees of an ELF file: `readelf -d`, `--dyn-syms` and the notes, in Python.

    info = read_elf("libfoo.so")
    info.needed          # ("libc++.so.1", "libc.so.6")
    info.version_needs   # {"libc.so.6": ("GLIBC_2.2.5", "GLIBC_2.14")}
    info.exported        # ("JNI_OnLoad",)

For the tests that check a native library against the packages an image ships (every NEEDED
library present, no RUNPATH, the symbol versions the image's C library provides) without a
readelf of the machine. Reads 64-bit little-endian ELF (x86-64, aarch64), whatever it was built by.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from tools.common.errors import UserError

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_DYN = struct.Struct("<qQ")
_SYM = struct.Struct("<IBBHQQ")
_VERNEED = struct.Struct("<HHIII")
_VERNAUX = struct.Struct("<IHHII")

_TYPES = {1: "REL", 2: "EXEC", 3: "DYN", 4: "CORE"}
_PT_LOAD, _PT_DYNAMIC, _PT_INTERP, _PT_NOTE = 1, 2, 3, 4
_SHT_DYNSYM = 11
_DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_SONAME, _DT_RPATH, _DT_RUNPATH = 1, 5, 10, 14, 15, 29
_DT_HASH, _DT_GNU_HASH, _DT_SYMTAB = 4, 0x6FFFFEF5, 6
_DT_VERNEED, _DT_VERNEEDNUM = 0x6FFFFFFE, 0x6FFFFFFF
_NT_GNU_BUILD_ID = 3
_STB_GLOBAL, _STB_WEAK, _STB_GNU_UNIQUE = 1, 2, 10
_STT_SECTION, _STT_FILE = 3, 4
_STV_DEFAULT, _STV_PROTECTED = 0, 3


@dataclass(frozen=True)
class ElfInfo:
    kind: str  # REL, EXEC, DYN or CORE
    interpreter: str | None  # PT_INTERP: the loader an executable names
    needed: tuple[str, ...]  # DT_NEEDED, in order
    soname: str | None
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    version_needs: dict[str, tuple[str, ...]]  # library -> the symbol versions needed from it
    exported: tuple[str, ...]  # defined dynamic symbols that other objects can bind to, sorted
    build_id: bytes | None


class _Image:
    def __init__(self, data: bytes, path: str) -> None:
        self.data = data
        self.path = path

    def unpack(self, layout: struct.Struct, offset: int, what: str) -> tuple:
        if offset < 0 or offset + layout.size > len(self.data):
            raise UserError(f"{self.path}: truncated ELF file ({what} at byte {offset} is past its end)")
        return layout.unpack_from(self.data, offset)

    def string(self, offset: int, what: str) -> str:
        end = self.data.find(b"\0", offset)
        if offset < 0 or offset >= len(self.data) or end < 0:
            raise UserError(f"{self.path}: {what} at byte {offset} is not a terminated string")
        return self.data[offset:end].decode("utf-8", errors="surrogateescape")


def _file_offset(loads: list[tuple], address: int, image: _Image, what: str) -> int:
    for _, _, offset, vaddr, _, filesz, _, _ in loads:
        if vaddr <= address < vaddr + filesz:
            return offset + address - vaddr
    raise UserError(f"{image.path}: {what} (address {address:#x}) is in no loaded segment")


def _gnu_hash_symbol_count(image: _Image, offset: int) -> int:
    nbuckets, symoffset, bloom_size, _ = image.unpack(struct.Struct("<IIII"), offset, "the GNU hash table")
    buckets_at = offset + 16 + 8 * bloom_size
    buckets = struct.unpack_from(f"<{nbuckets}I", image.data, buckets_at) if nbuckets else ()
    last = max(buckets, default=0)
    if last < symoffset:
        return symoffset
    chains_at = buckets_at + 4 * nbuckets
    while True:  # the chain of the highest bucket ends at the last symbol
        (value,) = image.unpack(struct.Struct("<I"), chains_at + 4 * (last - symoffset), "a GNU hash chain")
        if value & 1:
            return last + 1
        last += 1


def read_elf(path: str) -> ElfInfo:
    """The dynamic-linking view of the ELF file at `path`; UserError for anything else."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}") from None
    image = _Image(data, path)
    if not data.startswith(b"\x7fELF"):
        raise UserError(f"{path}: not an ELF file")
    if data[4:6] != b"\x02\x01":
        raise UserError(f"{path}: only 64-bit little-endian ELF files are read (this one has class {data[4]}, "
                        f"data encoding {data[5]})")
    (_, e_type, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, _) = image.unpack(
        _EHDR, 0, "the ELF header")
    headers = [image.unpack(_PHDR, phoff + i * phentsize, f"program header {i}") for i in range(phnum)]
    loads = [h for h in headers if h[0] == _PT_LOAD]

    interpreter = None
    build_id = None
    for p_type, _, offset, _, _, filesz, _, _ in headers:
        if p_type == _PT_INTERP:
            interpreter = image.string(offset, "the interpreter")
        elif p_type == _PT_NOTE:
            at, end = offset, offset + filesz
            while at + 12 <= end:
                namesz, descsz, note_type = image.unpack(struct.Struct("<III"), at, "a note")
                name_at = at + 12
                desc_at = name_at + (namesz + 3) // 4 * 4
                if note_type == _NT_GNU_BUILD_ID and data[name_at:name_at + namesz] == b"GNU\0":
                    build_id = data[desc_at:desc_at + descsz]
                at = desc_at + (descsz + 3) // 4 * 4

    dynamic: list[tuple[int, int]] = []
    for p_type, _, offset, _, _, filesz, _, _ in headers:
        if p_type == _PT_DYNAMIC:
            for at in range(offset, offset + filesz, _DYN.size):
                tag, value = image.unpack(_DYN, at, "a dynamic entry")
                if tag == 0:
                    break
                dynamic.append((tag, value))
    tags: dict[int, int] = {}
    for tag, value in dynamic:
        tags.setdefault(tag, value)
    if not dynamic:
        return ElfInfo(_TYPES.get(e_type, str(e_type)), interpreter, (), None, (), (), {}, (), build_id)
    if _DT_STRTAB not in tags:
        raise UserError(f"{path}: the dynamic section has no string table (DT_STRTAB)")
    strtab = _file_offset(loads, tags[_DT_STRTAB], image, "the dynamic string table")

    def dynstr(offset: int, what: str) -> str:
        return image.string(strtab + offset, what)

    needed = tuple(dynstr(v, "a NEEDED name") for t, v in dynamic if t == _DT_NEEDED)
    soname = dynstr(tags[_DT_SONAME], "the SONAME") if _DT_SONAME in tags else None
    rpath = tuple(p for t, v in dynamic if t == _DT_RPATH for p in dynstr(v, "the RPATH").split(":"))
    runpath = tuple(p for t, v in dynamic if t == _DT_RUNPATH for p in dynstr(v, "the RUNPATH").split(":"))

    version_needs: dict[str, tuple[str, ...]] = {}
    if _DT_VERNEED in tags:
        at = _file_offset(loads, tags[_DT_VERNEED], image, "the version needs")
        for _ in range(tags.get(_DT_VERNEEDNUM, 0)):
            _, count, file_name, aux, next_entry = image.unpack(_VERNEED, at, "a version need")
            versions = []
            aux_at = at + aux
            for _ in range(count):
                _, _, _, name, next_aux = image.unpack(_VERNAUX, aux_at, "a version need entry")
                versions.append(dynstr(name, "a version name"))
                aux_at += next_aux
            version_needs[dynstr(file_name, "a version need's library")] = tuple(versions)
            if not next_entry:
                break
            at += next_entry

    exported: set[str] = set()
    if _DT_SYMTAB in tags:
        symtab = _file_offset(loads, tags[_DT_SYMTAB], image, "the dynamic symbol table")
        count = None
        for i in range(shnum if shoff else 0):
            section = image.unpack(_SHDR, shoff + i * shentsize, f"section header {i}")
            if section[1] == _SHT_DYNSYM and section[9]:
                count = section[5] // section[9]
        if count is None and _DT_HASH in tags:
            (_, count) = image.unpack(struct.Struct("<II"), _file_offset(loads, tags[_DT_HASH], image, "DT_HASH"),
                                      "the hash table")
        if count is None and _DT_GNU_HASH in tags:
            count = _gnu_hash_symbol_count(image, _file_offset(loads, tags[_DT_GNU_HASH], image, "DT_GNU_HASH"))
        for i in range(count or 0):
            name, info, other, shndx, _, _ = image.unpack(_SYM, symtab + i * _SYM.size, f"dynamic symbol {i}")
            bind, kind, visibility = info >> 4, info & 0xF, other & 0x3
            if (name and shndx != 0 and bind in (_STB_GLOBAL, _STB_WEAK, _STB_GNU_UNIQUE)
                    and kind not in (_STT_SECTION, _STT_FILE) and visibility in (_STV_DEFAULT, _STV_PROTECTED)):
                exported.add(dynstr(name, "a symbol name"))

    return ElfInfo(_TYPES.get(e_type, str(e_type)), interpreter, needed, soname, rpath, runpath, version_needs,
                   tuple(sorted(exported)), build_id)
