#!/usr/bin/env python3
"""Host-side helpers for booting Debian's Linux on Parapet (used by scripts/fetch-linux.sh).

  linux-image.py vmlinux BZIMAGE OUT      the ELF kernel inside a bzImage, found through
                                          the boot protocol header and decompressed with
                                          Python's lzma/gzip or the zstd tool
  linux-image.py notes ELF                 the Xen ELF notes by name, and which hypercall
                                          entry the kernel expects (hypercall page or
                                          direct syscall)
  linux-image.py initramfs BUSYBOX INIT OUT
                                          a gzip-compressed cpio (newc) archive: busybox,
                                          its applet links, /init, the usual mount points

Only the standard library; nothing here runs as root (device nodes are cpio headers).
"""
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import zlib

# ---- bzImage -----------------------------------------------------------------------------
# Boot protocol header fields (Documentation/x86/boot.rst), offsets in the file:
#   0x1f1 u8  setup_sects     512-byte sectors of real-mode setup after the boot sector
#                             (0 means 4, for very old images)
#   0x202 u32 header          "HdrS"
#   0x206 u16 version         protocol version; payload fields need >= 2.08
#   0x248 u32 payload_offset  from the start of the protected-mode code
#   0x24c u32 payload_length
# The protected-mode code starts at (setup_sects + 1) * 512. The build appends the size
# of the uncompressed image as 4 little-endian bytes at the end of the payload.

MAGICS = [
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x5d\x00\x00", "lzma"),
]


def die(msg):
    print(f"linux-image: {msg}", file=sys.stderr)
    sys.exit(1)


def bzimage_payload(img):
    if len(img) < 0x250 or img[0x202:0x206] != b"HdrS":
        die("not a bzImage (no 'HdrS' boot protocol header at 0x202)")
    version = struct.unpack_from("<H", img, 0x206)[0]
    if version < 0x208:
        die(f"boot protocol {version >> 8}.{version & 0xff} has no payload fields (need 2.08)")
    setup_sects = img[0x1f1] or 4
    offset, length = struct.unpack_from("<II", img, 0x248)
    start = (setup_sects + 1) * 512 + offset
    if start + length > len(img) or length < 8:
        die(f"payload [{start:#x}, +{length:#x}) lies outside the {len(img)}-byte file")
    return img[start:start + length], start


def decompress(payload):
    fmt = next((name for magic, name in MAGICS if payload.startswith(magic)), None)
    if fmt is None:
        die(f"unknown payload compression (first bytes {payload[:6].hex()})")
    if fmt == "xz":
        d = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        data = d.decompress(payload)
    elif fmt == "lzma":
        d = lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
        data = d.decompress(payload)
    elif fmt == "gzip":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = d.decompress(payload)
    else:
        if not shutil.which("zstd"):
            die("the payload is zstd-compressed and the zstd tool is missing (apt-get install zstd)")
        data = subprocess.run(["zstd", "-dc"], input=payload[:-4], capture_output=True,
                              check=True).stdout
    want = struct.unpack_from("<I", payload, len(payload) - 4)[0]
    if len(data) != want:
        die(f"{fmt} payload gave {len(data)} bytes, the image says {want}")
    return data, fmt


def cmd_vmlinux(bzimage, out):
    with open(bzimage, "rb") as f:
        img = f.read()
    payload, start = bzimage_payload(img)
    data, fmt = decompress(payload)
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        die("the decompressed payload is not a little-endian ELF64 file")
    if struct.unpack_from("<H", data, 18)[0] != 62:
        die("the decompressed ELF is not for x86-64 (e_machine != 62)")
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    print(f"linux-image: {bzimage}: {fmt} payload at {start:#x} ({len(payload)} bytes) "
          f"-> {out} ({len(data)} bytes)")


# ---- Xen ELF notes ---------------------------------------------------------------------------
# Types from xen/include/public/elfnote.h; string notes print as text, the rest as numbers.
XEN_NOTES = {1: "ENTRY", 2: "HYPERCALL_PAGE", 3: "VIRT_BASE", 4: "PADDR_OFFSET",
             5: "XEN_VERSION", 6: "GUEST_OS", 7: "GUEST_VERSION", 8: "LOADER", 9: "PAE_MODE",
             10: "FEATURES", 11: "BSD_SYMTAB", 12: "HV_START_LOW", 13: "L1_MFN_VALID",
             14: "SUSPEND_CANCEL", 15: "INIT_P2M", 16: "MOD_START_PFN",
             17: "SUPPORTED_FEATURES", 18: "PHYS32_ENTRY"}
STRING_NOTES = {5, 6, 7, 8, 9, 10, 11}


def xen_notes(data):
    """(type, desc) of every note owned by "Xen" in the PT_NOTE segments."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    notes = []
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data,
                                                                  phoff + i * phentsize)
        if p_type != 4:
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz].rstrip(b"\0")
            desc_at = pos + 12 + ((namesz + 3) & ~3)
            desc = data[desc_at:desc_at + descsz]
            pos = desc_at + ((descsz + 3) & ~3)
            if name == b"Xen":
                notes.append((ntype, desc))
    return notes


def cmd_notes(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        die(f"{path} is not an ELF64 file")
    notes = xen_notes(data)
    if not notes:
        die(f"{path} has no Xen ELF notes: not a Xen PV kernel")
    for ntype, desc in notes:
        name = XEN_NOTES.get(ntype, f"type {ntype}")
        if ntype in STRING_NOTES:
            val = desc.rstrip(b"\0").decode(errors="replace")
        elif len(desc) in (4, 8):
            val = hex(int.from_bytes(desc, "little"))
        else:
            val = desc.hex()
        print(f"  {name:<20} {val}")
    kind = ("hypercall page (HYPERCALL_PAGE note)" if any(t == 2 for t, _ in notes)
            else "direct syscall (no HYPERCALL_PAGE note: Linux 6.1.121 and later)")
    print(f"  hypercalls:          {kind}")


# ---- initramfs ---------------------------------------------------------------------------
# cpio "newc": a 110-byte ASCII header (magic 070701 and 13 fields of 8 hex digits), the
# NUL-terminated name, padding to 4 bytes, the data, padding to 4 bytes; the archive ends
# with an entry named TRAILER!!!. The kernel's unpacker (init/initramfs.c) takes exactly
# this format, gzip-compressed.

S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR = 0o040000, 0o100000, 0o120000, 0o020000


class Cpio:
    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    def _pad(self):
        self.buf.write(b"\0" * (-self.buf.tell() % 4))

    def entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1],
                  len(name_b), 0]
        self.ino += 1
        self.buf.write(b"070701" + b"".join(b"%08x" % v for v in fields))
        self.buf.write(name_b)
        self._pad()
        self.buf.write(data)
        self._pad()

    def dir(self, name):
        self.entry(name, S_IFDIR | 0o755, nlink=2)

    def file(self, name, data, perm=0o644):
        self.entry(name, S_IFREG | perm, data)

    def symlink(self, name, target):
        self.entry(name, S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, perm=0o600):
        self.entry(name, S_IFCHR | perm, rdev=(major, minor))

    def finish(self):
        self.ino = 0
        self.entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def busybox_applets(busybox):
    """Applet names with their install directories, from 'busybox --list-full'."""
    out = subprocess.run([busybox, "--list-full"], capture_output=True, text=True, check=True)
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def cmd_initramfs(busybox, init, out):
    with open(busybox, "rb") as f:
        bb = f.read()
    with open(init, "rb") as f:
        init_data = f.read()
    c = Cpio()
    for d in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp",
              "etc", "root", "mnt"]:
        c.dir(d)
    # The kernel opens /dev/console for /init's stdio before any devtmpfs is mounted.
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.file("bin/busybox", bb, 0o755)
    for applet in busybox_applets(busybox):
        if applet != "bin/busybox":
            depth = applet.count("/")
            c.symlink(applet, "../" * depth + "bin/busybox")
    c.file("init", init_data, 0o755)
    archive = c.finish()
    tmp = out + ".tmp"
    # mtime 0: the same inputs give the same bytes.
    with open(tmp, "wb") as f:
        f.write(gzip.compress(archive, compresslevel=9, mtime=0))
    os.replace(tmp, out)
    print(f"linux-image: {out}: {len(archive)} bytes of cpio, {os.path.getsize(out)} gzipped")


def main(argv):
    if len(argv) == 4 and argv[1] == "vmlinux":
        cmd_vmlinux(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "notes":
        cmd_notes(argv[2])
    elif len(argv) == 5 and argv[1] == "initramfs":
        cmd_initramfs(argv[2], argv[3], argv[4])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
