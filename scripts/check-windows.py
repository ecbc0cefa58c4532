#!/usr/bin/env python3
"""Checks the Windows zip that `make package-windows` makes (issue 17).

    python3 scripts/check-windows.py dist/enxame-VERSION-windows-amd64.zip VERSION [BUILD]

Nothing here can run a Windows program, so the files are read as what
Windows reads: the PE headers (PE32+, x86-64), the subsystem (2, GUI: no
console window, for the app; 3, console, for the server), the resource
directory (an icon group and its icons, a version resource carrying the
version), and the import table (only DLLs that come with Windows: a
MinGW runtime DLL such as libwinpthread-1.dll would be missing on a lab
PC); and, given BUILD, that both programs carry the build id `make`
linked into them (-X: what `enxame -version` and the About box say).
The PE format: https://learn.microsoft.com/windows/win32/debug/pe-format
Exits 1 with the reason on the first failure.
"""

import struct
import sys
import zipfile

APP = "Enxame.exe"
SERVER = "enxame-server.exe"

MACHINE_AMD64 = 0x8664
PE32_PLUS = 0x20B
SUBSYSTEM_GUI, SUBSYSTEM_CONSOLE = 2, 3
RT_ICON, RT_GROUP_ICON, RT_VERSION, RT_MANIFEST = 3, 14, 16, 24
VS_FIXEDFILEINFO_SIGNATURE = 0xFEEF04BD


class Bad(Exception):
    pass


class PE:
    """The parts of a PE file the checks need."""

    def __init__(self, name, data):
        self.name, self.data = name, data
        if data[:2] != b"MZ":
            raise Bad(f"{name}: no MZ header")
        pe = self.u32(0x3C)
        if data[pe : pe + 4] != b"PE\0\0":
            raise Bad(f"{name}: no PE signature")
        coff = pe + 4
        self.machine, nsections = struct.unpack_from("<HH", data, coff)
        opt_size = self.u16(coff + 16)
        opt = coff + 20
        self.magic = self.u16(opt)
        if self.magic != PE32_PLUS:
            raise Bad(f"{name}: optional header magic {self.magic:#x}, not PE32+ ({PE32_PLUS:#x})")
        self.subsystem = self.u16(opt + 68)
        ndirs = self.u32(opt + 108)
        self.dirs = [struct.unpack_from("<II", data, opt + 112 + 8 * i) for i in range(min(ndirs, 16))]
        self.sections = []
        for i in range(nsections):
            s = opt + opt_size + 40 * i
            vsize, va, rawsize, rawptr = struct.unpack_from("<IIII", data, s + 8)
            self.sections.append((va, max(vsize, rawsize), rawptr, rawsize))

    def u16(self, off):
        return struct.unpack_from("<H", self.data, off)[0]

    def u32(self, off):
        return struct.unpack_from("<I", self.data, off)[0]

    def offset(self, rva):
        """The file offset of a relative virtual address."""
        for va, size, rawptr, rawsize in self.sections:
            if va <= rva < va + size:
                if rva - va >= rawsize:
                    raise Bad(f"{self.name}: RVA {rva:#x} is not backed by file data")
                return rawptr + rva - va
        raise Bad(f"{self.name}: RVA {rva:#x} is in no section")

    def cstring(self, rva):
        off = self.offset(rva)
        return self.data[off : self.data.index(b"\0", off)].decode("ascii", "replace")

    def imports(self):
        """The names of the DLLs the file imports."""
        rva, size = self.dirs[1] if len(self.dirs) > 1 else (0, 0)
        if rva == 0:
            return []
        names, off = [], self.offset(rva)
        while True:
            _, _, _, name, first = struct.unpack_from("<IIIII", self.data, off)
            if name == 0 and first == 0:
                return names
            names.append(self.cstring(name))
            off += 20

    def resources(self):
        """{type id: [(name or id, language, data bytes)]} from the resource tree."""
        rva, size = self.dirs[2] if len(self.dirs) > 2 else (0, 0)
        if rva == 0:
            return {}
        base = self.offset(rva)

        def entries(off):
            named, ids = struct.unpack_from("<HH", self.data, base + off + 12)
            for i in range(named + ids):
                ident, target = struct.unpack_from("<II", self.data, base + off + 16 + 8 * i)
                yield ident, bool(target & 0x80000000), target & 0x7FFFFFFF

        out = {}
        for rtype, sub, off1 in entries(0):
            if not sub:
                raise Bad(f"{self.name}: resource type {rtype} is not a directory")
            for rname, sub2, off2 in entries(off1):
                if not sub2:
                    raise Bad(f"{self.name}: resource {rtype}/{rname} is not a directory")
                for lang, sub3, off3 in entries(off2):
                    if sub3:
                        raise Bad(f"{self.name}: resource {rtype}/{rname}/{lang} nests too deep")
                    drva, dsize = struct.unpack_from("<II", self.data, base + off3)
                    doff = self.offset(drva)
                    out.setdefault(rtype, []).append((rname, lang, self.data[doff : doff + dsize]))
        return out


def check_headers(pe, subsystem):
    if pe.machine != MACHINE_AMD64:
        raise Bad(f"{pe.name}: machine {pe.machine:#x}, not x86-64 ({MACHINE_AMD64:#x})")
    if pe.subsystem != subsystem:
        raise Bad(f"{pe.name}: subsystem {pe.subsystem}, want {subsystem}")


def check_imports(pe):
    dlls = pe.imports()
    if not dlls:
        raise Bad(f"{pe.name}: imports no DLL at all (not a Windows program?)")
    # MinGW's own runtime DLLs (libgcc_s_seh-1, libwinpthread-1,
    # libstdc++-6) are not on a Windows PC; system DLLs never start so.
    foreign = [d for d in dlls if d.lower().startswith("lib")]
    if foreign:
        raise Bad(f"{pe.name}: needs DLLs Windows does not have: {', '.join(foreign)}")
    return dlls


def check_icon(pe, res):
    groups = res.get(RT_GROUP_ICON, [])
    icons = {name: data for name, _, data in res.get(RT_ICON, [])}
    if not groups:
        raise Bad(f"{pe.name}: no icon group resource (RT_GROUP_ICON)")
    sizes = []
    for _, _, g in groups:
        reserved, kind, count = struct.unpack_from("<HHH", g, 0)
        if reserved != 0 or kind != 1 or count == 0:
            raise Bad(f"{pe.name}: icon group header {reserved},{kind},{count}")
        for i in range(count):
            w, h, _, _, _, _, size, ident = struct.unpack_from("<BBBBHHIH", g, 6 + 14 * i)
            icon = icons.get(ident)
            if icon is None or len(icon) != size:
                raise Bad(f"{pe.name}: icon group names icon {ident} ({size} bytes), not found as RT_ICON")
            if not (icon[:8] == b"\x89PNG\r\n\x1a\n" or icon[:4] == b"\x28\0\0\0"):
                raise Bad(f"{pe.name}: icon {ident} is neither a PNG nor a DIB")
            sizes.append(f"{w or 256}x{h or 256}")
    return sizes


def check_version(pe, res, version):
    blobs = [data for _, _, data in res.get(RT_VERSION, [])]
    if not blobs:
        raise Bad(f"{pe.name}: no version resource (RT_VERSION)")
    blob = blobs[0]
    if "VS_VERSION_INFO".encode("utf-16-le") not in blob:
        raise Bad(f"{pe.name}: version resource lacks VS_VERSION_INFO")
    sig = struct.pack("<I", VS_FIXEDFILEINFO_SIGNATURE)
    at = blob.find(sig)
    if at < 0:
        raise Bad(f"{pe.name}: version resource lacks VS_FIXEDFILEINFO")
    ms, ls = struct.unpack_from("<II", blob, at + 8)
    fixed = (ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF)
    want = tuple(int(x) for x in version.split("-")[0].split("+")[0].split("."))[:3]
    if fixed[: len(want)] != want:
        raise Bad(f"{pe.name}: file version {fixed}, want {version}")
    if version.encode("utf-16-le") not in blob:
        raise Bad(f"{pe.name}: version resource has no string with {version!r}")
    return ".".join(map(str, fixed))


def check_build(pe, build):
    if build and build.encode() not in pe.data:
        raise Bad(f"{pe.name}: build id {build} not linked in (-X)")


def main(zip_path, version, build=None):
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        top = f"enxame-{version}/"
        want = sorted([top + APP, top + SERVER])
        got = sorted(n for n in names if not n.endswith("/"))
        if got != want:
            raise Bad(f"{zip_path} holds {got}, want {want}")
        app = PE(APP, z.read(top + APP))
        server = PE(SERVER, z.read(top + SERVER))

    check_headers(app, SUBSYSTEM_GUI)
    check_build(app, build)
    res = app.resources()
    sizes = check_icon(app, res)
    fixed = check_version(app, res, version)
    manifest = "manifest" if res.get(RT_MANIFEST) else "no manifest"
    dlls = check_imports(app)
    print(f"check-windows: ok: {APP}: PE32+ x86-64, GUI subsystem, icon {' '.join(sizes)}, "
          f"version {fixed} ({version}), {manifest}; imports {', '.join(sorted(dlls, key=str.lower))}")

    check_headers(server, SUBSYSTEM_CONSOLE)
    check_build(server, build)
    dlls = check_imports(server)
    print(f"check-windows: ok: {SERVER}: PE32+ x86-64, console subsystem; imports {', '.join(sorted(dlls, key=str.lower))}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: check-windows.py ZIP VERSION [BUILD]")
    try:
        main(*sys.argv[1:])
    except (Bad, zipfile.BadZipFile, OSError, struct.error, ValueError) as e:
        sys.exit(f"check-windows: FAIL: {e}")
